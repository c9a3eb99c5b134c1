import { graphqlRequest, probe } from "../harness/requests.js";
import { ratioAtLeast } from "../harness/targets.js";
import type { RunResult, Scenario } from "../harness/types.js";

const SHARE = "token verification: ≤ 5 % of throughput once warm";
const QUERY = '{ hasPermission(resource: "users", action: read) }';
/** Alternating pairs, so drift over time (other processes, the page cache) lands on both sides alike. */
const PAIRS = 2;

const scenario: Scenario = {
  id: "token-verification-cost",
  title: "What token verification costs once warm",
  description:
    "The permission check of scenario 1 against auth-db as it runs (every request's RS256 token checked; a token " +
    "that verified is remembered until it expires) and against the same auth-db started with a verifier that only " +
    "decodes the claims (bench/harness/auth-db-trusting-tokens.ts), in alternating runs. Baseline: the runs that skip " +
    "verification; the share is 1 − (verified req/s ÷ skipped req/s) over all runs of each.",
  targetNames: [SHARE],
  async run(ctx) {
    const request = graphqlRequest(ctx.fixtures.reader.token, QUERY);
    const trusting = await ctx.authDbTrustingTokens();
    const answer = (await probe(ctx.authDb.url, request)).body;
    const connections = ctx.options.checkConnections;
    const verified: RunResult[] = [];
    const skipped: RunResult[] = [];
    const inOrder: RunResult[] = [];
    for (let pair = 1; pair <= PAIRS; pair++) {
      verified.push(await ctx.httpRun({
        id: `verified-${pair}`, label: `auth-db, tokens verified (${pair})`, role: "subject",
        target: ctx.authDb, request, connections,
      }));
      skipped.push(await ctx.httpRun({
        id: `skipped-${pair}`, label: `auth-db, token checks skipped (${pair})`, role: pair === 1 ? "baseline" : "reference",
        target: trusting, request, connections, sameAnswerAs: answer,
      }));
      inOrder.push(verified.at(-1)!, skipped.at(-1)!);
    }
    const total = (runs: RunResult[]) => runs.reduce((sum, run) => sum + run.requests, 0);
    const seconds = (runs: RunResult[]) => runs.reduce((sum, run) => sum + run.requests / run.throughput, 0);
    const rate = (runs: RunResult[]) => total(runs) / seconds(runs);
    const ratio = rate(verified) / rate(skipped);
    return {
      runs: inOrder,
      baseline: "skipped-1",
      targets: [
        ratioAtLeast(
          SHARE,
          "verified req/s ≥ 0.95× the req/s with token checks skipped",
          ratio,
          0.95,
          `${rate(verified).toFixed(0)} req/s verified vs ${rate(skipped).toFixed(0)} req/s skipped, ${PAIRS} runs each`,
        ),
      ],
    };
  },
};

export default scenario;
