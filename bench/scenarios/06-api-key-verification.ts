import { countApiKeys, fillApiKeys, issueBenchKey } from "../harness/api-keys.js";
import { alternatingRuns, roundsFor, runsEach, type Pooled } from "../harness/alternating-runs.js";
import type { BenchContext, HttpRunSpec, SqlRunSpec } from "../harness/context.js";
import { API_KEYS_AT_START } from "../harness/fixtures.js";
import { log } from "../harness/log.js";
import { graphqlRequestWithApiKey, HAS_PERMISSION_QUERY as QUERY, probe } from "../harness/requests.js";
import type { HttpTarget } from "../harness/servers.js";
import { asCaller } from "../harness/sql-transactions.js";
import { statementsTarget } from "../harness/statement-notes.js";
import { noFailures, ratioAtMost, times } from "../harness/targets.js";
import type { Scenario } from "../harness/types.js";
import type { TestDatabase } from "../../test/helpers/database.js";

const TARGET_RATIO = "API keys: verification at 1M keys within 1.3× of 1k";
const TARGET_ERRORS = "API keys: no errors at 64 connections";
const TARGET_STATEMENTS = "API keys: SQL statements per request";

/** The issue's bound on what a thousandfold more keys may cost. */
const MAX_SLOWDOWN = 1.3;

const thousands = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

/** A database holding `keys` API keys, one of them the bench service's, and the auth-db serving it. */
interface KeyStore {
  keys: number;
  db: TestDatabase;
  server: HttpTarget;
  serviceKey: string;
}

/** A service's GraphQL request through auth-db, and the verification alone, against one key store. */
function sidesOf(ctx: BenchContext, store: KeyStore, role: HttpRunSpec["role"], answer: string): [HttpRunSpec, SqlRunSpec] {
  const { options } = ctx;
  const { database } = store.db.config;
  const size = thousands(store.keys);
  // What auth-db runs before handing over to Grafast (src/auth/api-key-verifier.ts): the anonymous role and the request's facts.
  const settings = { role: database.roles.anonymous, "request.ip": "127.0.0.1" };
  return [
    {
      id: `graphql-${size}`, label: `auth-db GraphQL, ${size} keys`, role, target: store.server,
      request: graphqlRequestWithApiKey(store.serviceKey, QUERY), connections: options.checkConnections, sameAnswerAs: answer,
    },
    {
      id: `sql-${size}`, label: `verify_api_key alone, ${size} keys`, role: "reference",
      connectionString: database.authenticatorUrl, concurrency: options.sqlConcurrency,
      statements: asCaller(settings, {
        name: "verify_api_key", text: "select * from auth.verify_api_key($1)", values: [store.serviceKey],
      }),
    },
  ];
}

/** Time per request at many keys against at few: the inverse of the pooled req/s. */
const slowdown = (many: Pooled, few: Pooled) => few.throughput / many.throughput;

/** The second key store: a database of its own filled to `keys`, served by an auth-db of its own. */
async function manyKeyStore(ctx: BenchContext, keys: number): Promise<KeyStore> {
  const db = await ctx.createDatabase();
  const serviceKey = await issueBenchKey(db);
  const started = performance.now();
  // The filling is the database's work, the start auth-db's: side by side they take less time than one after the other.
  const [server] = await Promise.all([ctx.startAuthDb(`auth-db-${thousands(keys)}-keys`, db), fillApiKeys(db, keys)]);
  log(`  stored ${keys.toLocaleString("en")} keys and started an auth-db on them in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { keys, db, server, serviceKey };
}

const scenario: Scenario = {
  id: "api-key-verification",
  title: "API key verification at 1 000 vs 1 000 000 keys (100 000 in quick mode)",
  description:
    "A service's request authenticated by `X-API-Key` (a key holding users:read) asking hasPermission(users, read): auth-db " +
    "verifies the key with auth.verify_api_key in one transaction, then Grafast answers in another. Alongside, verify_api_key " +
    `alone in a node-postgres loop. The benchmark database holds ${API_KEYS_AT_START.toLocaleString("en")} keys and its ` +
    "auth-db serves it; a second database in the same PostgreSQL, with auth-db's schema, holds 1 000 000 (100 000 in quick " +
    "mode) and an auth-db of its own serves it, so the two sizes alternate run by run (five rounds in full mode). The extra " +
    "keys are stored like real ones (SHA-256 and prefix). Baseline: the same request at 1 000 keys; the target compares " +
    "the time per request (the inverse of the pooled req/s) of each side.",
  targetNames: [TARGET_RATIO, TARGET_ERRORS, TARGET_STATEMENTS],
  countStatementsOf: (fixtures) => ({ graphql: graphqlRequestWithApiKey(fixtures.serviceKey, QUERY) }),
  async run(ctx) {
    const few: KeyStore = { keys: await countApiKeys(ctx.db), db: ctx.db, server: ctx.authDb, serviceKey: ctx.fixtures.serviceKey };
    const many = await manyKeyStore(ctx, ctx.options.manyApiKeys);
    try {
      await ctx.settle();
      const answer = (await probe(few.server.url, graphqlRequestWithApiKey(few.serviceKey, QUERY))).body;
      const [graphqlMany, sqlMany] = sidesOf(ctx, many, "subject", answer);
      const [graphqlFew, sqlFew] = sidesOf(ctx, few, "baseline", answer);
      const compared = await alternatingRuns(ctx, roundsFor(ctx), graphqlMany, graphqlFew, sqlMany, sqlFew);
      const [sqlManyPooled, sqlFewPooled] = compared.references as [Pooled, Pooled];
      const graphqlSlowdown = slowdown(compared.subject, compared.baseline);
      const sqlSlowdown = slowdown(sqlManyPooled, sqlFewPooled);
      const sizes = `${thousands(many.keys)} vs ${thousands(few.keys)} keys`;
      return {
        runs: compared.inOrder,
        baseline: compared.baselineId,
        targets: [
          ratioAtMost(
            TARGET_RATIO,
            `time per request at ${thousands(many.keys)} keys ≤ ${MAX_SLOWDOWN.toFixed(2)}× at ${thousands(few.keys)}, ` +
              "both for a service's GraphQL request and for verify_api_key alone (the larger of the two is shown)",
            Math.max(graphqlSlowdown, sqlSlowdown),
            MAX_SLOWDOWN,
            `${sizes}: GraphQL ${times(graphqlSlowdown)} (${compared.subject.throughput.toFixed(0)} vs ` +
              `${compared.baseline.throughput.toFixed(0)} req/s, p99 ${times(compared.subject.p99 / compared.baseline.p99)}); ` +
              `verify_api_key alone ${times(sqlSlowdown)} (${sqlManyPooled.throughput.toFixed(0)} vs ${sqlFewPooled.throughput.toFixed(0)} ` +
              `per second, p99 ${times(sqlManyPooled.p99 / sqlFewPooled.p99)}); ${runsEach(compared.subject)}`,
          ),
          noFailures(TARGET_ERRORS, [...compared.subject.runs, ...compared.baseline.runs]),
          statementsTarget(TARGET_STATEMENTS, ctx.statementProfiles.graphql),
        ],
      };
    } finally {
      await many.server.stop();
      await many.db.drop();
    }
  },
};

export default scenario;
