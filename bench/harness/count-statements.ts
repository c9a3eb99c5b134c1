import { probe, type HttpRequestSpec } from "./requests.js";
import type { StatementCounter } from "./statement-counter.js";

export interface StatementProfile {
  /** Statements PostgreSQL was asked to run for one request: the most frequent count. */
  perRequest: number;
  /** Per-request counts; one above the rest is background work that fell in that window. */
  counts: number[];
  /** The statements of a request with the most frequent count, verbatim. */
  statements: string[];
  /** The round trips such a request took to the database: the most frequent among them. */
  roundTrips: number;
}

/**
 * Sends `request` to a server whose pool goes through `counter`, one at a
 * time, and counts what reached PostgreSQL for each. The first requests are
 * not counted: they prepare statements and sync the user's profile once.
 */
export async function profileStatements(
  baseUrl: string,
  counter: StatementCounter,
  request: HttpRequestSpec,
  { warmup = 3, requests = 10 } = {},
): Promise<StatementProfile> {
  for (let i = 0; i < warmup; i++) await probe(baseUrl, request);
  const counts: number[] = [];
  const seen: string[][] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < requests; i++) {
    counter.reset();
    const response = await probe(baseUrl, request);
    if (response.status !== 200) throw new Error(`statement count: HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    // The pool may still be finishing the transaction after the response is sent.
    await new Promise((resolve) => setTimeout(resolve, 20));
    counts.push(counter.statements.length);
    seen.push(counter.statements.map((statement) => statement.text));
    roundTrips.push(counter.roundTrips);
  }
  const perRequest = mostFrequent(counts);
  const typical = roundTrips.filter((_, i) => counts[i] === perRequest);
  return { perRequest, counts, statements: seen[counts.indexOf(perRequest)]!, roundTrips: mostFrequent(typical) };
}

/** The value seen most often (the smallest on a tie): one above the rest is background work in that window. */
function mostFrequent(values: number[]): number {
  const frequency = (n: number) => values.filter((value) => value === n).length;
  return [...values].sort((a, b) => frequency(b) - frequency(a) || a - b)[0]!;
}
