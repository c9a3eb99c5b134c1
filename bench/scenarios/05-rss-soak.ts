import { graphqlRequest, HAS_PERMISSION_QUERY as QUERY } from "../harness/requests.js";
import type { RssSample } from "../harness/rss.js";
import { noFailures } from "../harness/targets.js";
import type { Scenario, TargetResult } from "../harness/types.js";

const TARGET = "auth-db RSS flat over a 60 s run";
/** The first seconds fill caches and grow the heap to its working size. */
const SETTLE_SECONDS = 10;
const WINDOW_SECONDS = 10;
const ALLOWED_GROWTH = 0.1;

const mean = (samples: RssSample[]) => samples.reduce((sum, s) => sum + s.mib, 0) / samples.length;

/** Least-squares slope of RSS over time, in MiB per minute. */
function slopePerMinute(samples: RssSample[]): number {
  const n = samples.length;
  const mt = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const mm = mean(samples);
  const num = samples.reduce((sum, s) => sum + (s.t - mt) * (s.mib - mm), 0);
  const den = samples.reduce((sum, s) => sum + (s.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

/**
 * "Flat": the mean RSS of the last 10 s is within 10 % of the mean of the
 * 10 s after settling (10–20 s). The slope is reported alongside.
 */
function flatness(samples: RssSample[]): TargetResult {
  const end = samples[samples.length - 1]?.t ?? 0;
  const early = samples.filter((s) => s.t >= SETTLE_SECONDS && s.t < SETTLE_SECONDS + WINDOW_SECONDS);
  const late = samples.filter((s) => s.t >= end - WINDOW_SECONDS);
  const requirement = `mean RSS of the last ${WINDOW_SECONDS} s within ${ALLOWED_GROWTH * 100} % of ${SETTLE_SECONDS}–${SETTLE_SECONDS + WINDOW_SECONDS} s`;
  if (early.length === 0 || late.length === 0) {
    return { name: TARGET, requirement, measured: "too few RSS samples", status: "not run" };
  }
  const growth = mean(late) / mean(early) - 1;
  const settled = samples.filter((s) => s.t >= SETTLE_SECONDS);
  return {
    name: TARGET,
    requirement,
    measured: `${mean(early).toFixed(1)} → ${mean(late).toFixed(1)} MiB (${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)} %), slope ${slopePerMinute(settled).toFixed(2)} MiB/min after ${SETTLE_SECONDS} s`,
    status: growth <= ALLOWED_GROWTH ? "met" : "missed",
  };
}

const scenario: Scenario = {
  id: "rss-soak",
  title: "auth-db memory over a 60-second run",
  description:
    "hasPermission at 64 connections for 60 s against the same auth-db processes that ran every scenario before it, " +
    "their RSS (the primary's and its workers', summed) sampled every second from /proc by the runner. Full mode only.",
  fullOnly: true,
  targetNames: [TARGET, "soak: no errors at 64 connections"],
  async run(ctx) {
    const rssSeries: RssSample[] = [];
    const soak = await ctx.httpRun({
      id: "graphql", label: "auth-db GraphQL, 60 s", role: "subject", target: ctx.authDb,
      request: graphqlRequest(ctx.fixtures.reader.token, QUERY), connections: ctx.options.checkConnections,
      durationSeconds: ctx.options.soakSeconds, warmupSeconds: 0, rssSeries,
    });
    return {
      runs: [soak],
      targets: [flatness(rssSeries), noFailures("soak: no errors at 64 connections", [soak])],
      rssSeries,
    };
  },
};

export default scenario;
