import { alternatingRuns, roundsFor, runsEach } from "../harness/alternating-runs.js";
import { graphqlRequest, HAS_PERMISSION_QUERY as QUERY, probe } from "../harness/requests.js";
import { ratioAtLeast } from "../harness/targets.js";
import type { Scenario } from "../harness/types.js";

const SHARE = "token verification: ≤ 5 % of throughput once warm";

const scenario: Scenario = {
  id: "token-verification-cost",
  title: "What token verification costs once warm",
  description:
    "The permission check of scenario 1 against auth-db as it runs (every request's RS256 token checked; a token " +
    "that verified is remembered until it expires) and against the same auth-db started with a verifier that only " +
    "decodes the claims (bench/harness/auth-db-trusting-tokens.ts), in alternating pairs of runs (five in full " +
    "mode). Both servers are started for this scenario, so the only difference between them is the verifier. " +
    "(The auth-db of the earlier scenarios sits idle through the audit and archive scenarios; in full runs its " +
    "first run after them cost about a quarter more server CPU per request than its next, which said nothing " +
    "about verification.) Baseline: the runs that skip verification; the target compares the pooled req/s of each side.",
  targetNames: [SHARE],
  async run(ctx) {
    const request = graphqlRequest(ctx.fixtures.reader.token, QUERY);
    const [verifying, trusting] = await Promise.all([
      ctx.startAuthDb("auth-db-verifying-tokens"),
      ctx.startAuthDbTrustingTokens(),
    ]);
    try {
      const answer = (await probe(verifying.url, request)).body;
      const connections = ctx.options.checkConnections;
      const compared = await alternatingRuns(
        ctx,
        roundsFor(ctx),
        { id: "verified", label: "auth-db, tokens verified", role: "subject", target: verifying, request, connections },
        { id: "skipped", label: "auth-db, token checks skipped", role: "baseline", target: trusting, request, connections, sameAnswerAs: answer },
      );
      const { subject: verified, baseline: skipped } = compared;
      return {
        runs: compared.inOrder,
        baseline: compared.baselineId,
        targets: [
          ratioAtLeast(
            SHARE,
            "verified req/s ≥ 0.95× the req/s with token checks skipped",
            verified.throughput / skipped.throughput,
            0.95,
            `${verified.throughput.toFixed(0)} req/s verified vs ${skipped.throughput.toFixed(0)} req/s skipped, ${runsEach(verified)}`,
          ),
        ],
      };
    } finally {
      await Promise.all([verifying.stop(), trusting.stop()]);
    }
  },
};

export default scenario;
