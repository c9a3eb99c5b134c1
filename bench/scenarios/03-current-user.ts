import { graphqlRequest } from "../harness/requests.js";
import { asCaller, callerSettings, replayableQuery } from "../harness/sql-transactions.js";
import { statementsTarget } from "../harness/statement-notes.js";
import { noFailures } from "../harness/targets.js";
import type { RunResult, Scenario } from "../harness/types.js";

const QUERY = "{ currentUser { username roles { nodes { name } } permissions { nodes { resource action } } } }";

const scenario: Scenario = {
  id: "current-user",
  title: "currentUser with roles and permissions",
  description:
    "The signed-in user's profile, roles and permissions in one GraphQL request (sys_auditor holder: 1 role, 5 permissions). " +
    "Baseline: the SQL statement Grafast sent for it, replayed alone by a node-postgres loop in the same transaction shape.",
  targetNames: ["currentUser: no errors at 64 connections", "currentUser: SQL statements per request"],
  countStatementsOf: (fixtures) => ({ graphql: graphqlRequest(fixtures.reader.token, QUERY) }),
  async run(ctx) {
    const { fixtures, options, database } = ctx;
    const profile = ctx.statementProfiles.graphql;
    const graphql = await ctx.httpRun({
      id: "graphql", label: "auth-db GraphQL", role: "subject", target: ctx.authDb,
      request: graphqlRequest(fixtures.reader.token, QUERY), connections: options.checkConnections,
    });
    const runs: RunResult[] = [graphql];
    const notes: string[] = [];
    const grafastQuery = profile && replayableQuery(profile.statements);
    if (grafastQuery) {
      runs.push(
        await ctx.sqlRun({
          id: "sql-loop", label: "Grafast's SQL alone (node-postgres loop)", role: "baseline",
          connectionString: database.authenticatorUrl,
          statements: asCaller(callerSettings(fixtures.reader, database.roles.user), { name: "current_user", text: grafastQuery }),
          concurrency: options.sqlConcurrency,
        }),
      );
    } else {
      notes.push("Grafast's statement could not be replayed (it was not a single parameterless query), so there is no SQL-alone baseline.");
    }
    return {
      runs,
      baseline: grafastQuery ? "sql-loop" : undefined,
      targets: [
        noFailures("currentUser: no errors at 64 connections", [graphql]),
        statementsTarget("currentUser: SQL statements per request", profile),
      ],
      notes,
    };
  },
};

export default scenario;
