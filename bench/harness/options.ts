export interface BenchOptions {
  mode: "quick" | "full";
  /** Length of each measured run. */
  durationSeconds: number;
  /** Discarded load before each measured run. */
  warmupSeconds: number;
  /**
   * Discarded load a server gets before its first measured run, whatever
   * the scenario: a freshly started auth-db needs tens of seconds under load
   * before its CPU per request settles (V8 compiles its hot code in tiers).
   * None in quick mode, which must stay under two minutes.
   */
  serverWarmupSeconds: number;
  /** The concurrency for the permission-check scenarios. */
  checkConnections: number;
  /**
   * Connections of the SQL-only loops: auth-db's pool size (src/db/pool.ts),
   * i.e. all the concurrency the database ever sees from one auth-db.
   */
  sqlConcurrency: number;
  /** One listing at a time, so its latency is the time a listing takes. */
  listingConnections: number;
  soakSeconds: number;
  /** The large end of the API key comparison (the small end is 1 000). */
  manyApiKeys: number;
  /** Audit rows the chain verification scenario checks (at least). */
  auditChainRows: number;
  auditChainVerifications: number;
  /** Run only these scenario ids (for working on one scenario). */
  only?: string[];
}

const MODES: Record<BenchOptions["mode"], Omit<BenchOptions, "only">> = {
  // Under two minutes end to end on the 2-core machine: a smoke run with less data, figures are noisy.
  quick: {
    mode: "quick", durationSeconds: 1.5, warmupSeconds: 0.5, serverWarmupSeconds: 0, checkConnections: 64, sqlConcurrency: 10,
    listingConnections: 1, soakSeconds: 60, manyApiKeys: 100_000, auditChainRows: 50_000, auditChainVerifications: 1,
  },
  // About thirty-two minutes; linking the audit chain's million rows (the size) takes under a minute of it.
  full: {
    mode: "full", durationSeconds: 15, warmupSeconds: 2, serverWarmupSeconds: 30, checkConnections: 64, sqlConcurrency: 10,
    listingConnections: 1, soakSeconds: 60, manyApiKeys: 1_000_000, auditChainRows: 1_000_000, auditChainVerifications: 5,
  },
};

const USAGE = "usage: npm run bench [-- --quick] [--only scenario-id,…]";

export function parseOptions(argv: string[]): BenchOptions {
  let mode: BenchOptions["mode"] = "full";
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") mode = "quick";
    else if (arg === "--only" && argv[i + 1]) only = argv[++i]!.split(",");
    else if (arg.startsWith("--only=")) only = arg.slice("--only=".length).split(",");
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return { ...MODES[mode], only };
}
