import { countApiKeys, fillApiKeys } from "../harness/api-keys.js";
import type { BenchContext } from "../harness/context.js";
import { API_KEYS_AT_START } from "../harness/fixtures.js";
import { log } from "../harness/log.js";
import { graphqlRequestWithApiKey, HAS_PERMISSION_QUERY as QUERY } from "../harness/requests.js";
import { asCaller } from "../harness/sql-transactions.js";
import { statementsTarget } from "../harness/statement-notes.js";
import { noFailures, reported, times } from "../harness/targets.js";
import type { RunResult, Scenario } from "../harness/types.js";

const TARGET_RATIO = "API keys: many keys vs 1k keys";
const TARGET_ERRORS = "API keys: no errors at 64 connections";
const TARGET_STATEMENTS = "API keys: SQL statements per request";

const thousands = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

/** A service's GraphQL request and the verification alone, at the table's current size. */
async function measureAt(ctx: BenchContext, keys: number, role: RunResult["role"]): Promise<[RunResult, RunResult]> {
  const { fixtures, options, database } = ctx;
  const graphql = await ctx.httpRun({
    id: `graphql-${thousands(keys)}`, label: `auth-db GraphQL, ${thousands(keys)} keys`, role,
    target: ctx.authDb, request: graphqlRequestWithApiKey(fixtures.serviceKey, QUERY), connections: options.checkConnections,
  });
  // What auth-db runs before handing over to Grafast (src/auth/api-key-verifier.ts): the anonymous role and the request's facts.
  const settings = { role: database.roles.anonymous, "request.ip": "127.0.0.1" };
  const sql = await ctx.sqlRun({
    id: `sql-${thousands(keys)}`, label: `verify_api_key alone, ${thousands(keys)} keys`, role: "reference",
    connectionString: database.authenticatorUrl, concurrency: options.sqlConcurrency,
    statements: asCaller(settings, { name: "verify_api_key", text: "select * from auth.verify_api_key($1)", values: [fixtures.serviceKey] }),
  });
  return [graphql, sql];
}

const scenario: Scenario = {
  id: "api-key-verification",
  title: "API key verification at 1 000 vs 1 000 000 keys (100 000 in quick mode)",
  description:
    "A service's request authenticated by `X-API-Key` (a key holding users:read) asking hasPermission(users, read), " +
    `with ${API_KEYS_AT_START.toLocaleString("en")} keys stored and again with 1 000 000 (100 000 in quick mode): auth-db verifies the key with ` +
    "auth.verify_api_key in one transaction, then Grafast answers in another. Alongside, verify_api_key alone in a node-postgres loop. " +
    "The extra keys are stored like real ones (SHA-256 and prefix). Baseline: the same request at 1 000 keys.",
  targetNames: [TARGET_RATIO, TARGET_ERRORS, TARGET_STATEMENTS],
  countStatementsOf: (fixtures) => ({ graphql: graphqlRequestWithApiKey(fixtures.serviceKey, QUERY) }),
  async run(ctx) {
    const many = ctx.options.manyApiKeys;
    const few = await countApiKeys(ctx.db);
    const [graphqlFew, sqlFew] = await measureAt(ctx, few, "baseline");
    const started = performance.now();
    await fillApiKeys(ctx.db, many);
    const fillSeconds = (performance.now() - started) / 1000;
    await ctx.settle();
    log(`  stored ${many.toLocaleString("en")} keys in ${fillSeconds.toFixed(1)} s`);
    const [graphqlMany, sqlMany] = await measureAt(ctx, many, "subject");
    return {
      runs: [graphqlFew, sqlFew, graphqlMany, sqlMany],
      baseline: graphqlFew.id,
      targets: [
        reported(
          TARGET_RATIO,
          "reported: should stay near 1× (one index lookup by hash)",
          `${thousands(many)} vs ${thousands(few)} keys: GraphQL req/s ${times(graphqlMany.throughput / graphqlFew.throughput)}, p99 ${times(graphqlMany.latencyMs.p99 / graphqlFew.latencyMs.p99)}; ` +
            `verify_api_key alone req/s ${times(sqlMany.throughput / sqlFew.throughput)}, p99 ${times(sqlMany.latencyMs.p99 / sqlFew.latencyMs.p99)}`,
        ),
        noFailures(TARGET_ERRORS, [graphqlFew, graphqlMany]),
        statementsTarget(TARGET_STATEMENTS, ctx.statementProfiles.graphql),
      ],
      notes: [`Growing the table from ${few.toLocaleString("en")} to ${many.toLocaleString("en")} keys took ${fillSeconds.toFixed(1)} s (not part of any figure).`],
    };
  },
};

export default scenario;
