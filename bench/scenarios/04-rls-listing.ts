import { alternatingRuns, roundsFor, runsEach } from "../harness/alternating-runs.js";
import { graphqlRequest, probe } from "../harness/requests.js";
import { asCaller, callerSettings, replayableQuery } from "../harness/sql-transactions.js";
import { ratioAtMost, reported, times } from "../harness/targets.js";
import type { RunResult, Scenario } from "../harness/types.js";

const QUERY = "{ allUsers(first: 10000) { nodes { username } } }";

const TARGET = "RLS listing: time ≤ 1.3× without RLS";
const SQL_RATIO = "RLS listing: the SQL alone, with/without RLS";

const scenario: Scenario = {
  id: "rls-listing",
  title: "Listing 10 000 users under Row Level Security",
  description:
    "allUsers(first: 10000) as a users:read holder, so the users_select policy runs (its permission checks are " +
    "initplans, evaluated once per statement) and every row passes. Baseline: the same GraphQL request, same server, " +
    "same person, whose token carries a realm role that KEYCLOAK_ROLE_MAPPING maps to a BYPASSRLS role granted only " +
    "SELECT on auth.users; the only difference is RLS. The owner role was not used: the authenticator would have to be " +
    "able to become the schema owner. One connection, so latency is the time a listing takes; the two alternate, " +
    "five runs each in full mode, and the target compares the means of their runs' p50s.",
  targetNames: [TARGET, SQL_RATIO],
  countStatementsOf: (fixtures) => ({
    rls: graphqlRequest(fixtures.reader.token, QUERY),
    bypass: graphqlRequest(fixtures.readerBypassingRls.token, QUERY),
  }),
  async run(ctx) {
    const { fixtures, options, database } = ctx;
    const connections = options.listingConnections;
    const rlsRequest = graphqlRequest(fixtures.reader.token, QUERY);
    // Both must list the same 10 000 users, or the comparison means nothing.
    const answer = (await probe(ctx.authDb.url, rlsRequest)).body;
    // Alternating, like the permission checks: a single run of each put the
    // first one's warm-up and whatever the machine did meanwhile on one side only.
    const compared = await alternatingRuns(
      ctx,
      roundsFor(ctx),
      { id: "graphql-rls", label: "GraphQL, users:read holder (RLS)", role: "subject", target: ctx.authDb, request: rlsRequest, connections },
      {
        id: "graphql-bypass", label: "GraphQL, BYPASSRLS role", role: "baseline",
        target: ctx.authDb, request: graphqlRequest(fixtures.readerBypassingRls.token, QUERY), connections, sameAnswerAs: answer,
      },
    );
    const withRls = compared.subject;
    const withoutRls = compared.baseline;
    const runs: RunResult[] = [...compared.inOrder];
    const targets = [
      ratioAtMost(
        TARGET, "p50 ≤ 1.30× the same listing without RLS", withRls.p50 / withoutRls.p50, 1.3,
        `p50 ${withRls.p50.toFixed(1)} ms vs ${withoutRls.p50.toFixed(1)} ms, mean over ${runsEach(withRls)}; ` +
          `listings per second ${withRls.throughput.toFixed(1)} vs ${withoutRls.throughput.toFixed(1)}`,
      ),
    ];

    const listing = replayableQuery(ctx.statementProfiles.rls?.statements ?? []);
    if (listing) {
      const sqlRun = (id: string, label: string, role: string) =>
        ctx.sqlRun({
          id, label, role: "reference", connectionString: database.authenticatorUrl, concurrency: connections,
          statements: asCaller(callerSettings(fixtures.reader, role), { name: "listing", text: listing }),
        });
      const sqlWithRls = await sqlRun("sql-rls", "Grafast's SQL alone, user role (RLS)", database.roles.user);
      const sqlWithoutRls = await sqlRun("sql-bypass", "Grafast's SQL alone, BYPASSRLS role", fixtures.bypassRole);
      runs.push(sqlWithRls, sqlWithoutRls);
      targets.push(
        reported(SQL_RATIO, "reported, no threshold", `p50 ${times(sqlWithRls.latencyMs.p50 / sqlWithoutRls.latencyMs.p50)} (${sqlWithRls.latencyMs.p50.toFixed(2)} ms vs ${sqlWithoutRls.latencyMs.p50.toFixed(2)} ms)`),
      );
    }
    return { runs, baseline: compared.baselineId, targets };
  },
};

export default scenario;
