import { connect, holdChainOff, linkEverything, unlinkedRows, type LinkingTime } from "../harness/audit-chain.js";
import { ratioAtLeast, reported } from "../harness/targets.js";
import type { Scenario } from "../harness/types.js";

const RATIO = "audit insert: with the chain vs without";
const LINKING = "audit chain: linking rate";

/** One audit row per transaction, as a request's change makes one (the trigger path adds the diff on top). */
const INSERT = {
  name: "audit_insert",
  text: `insert into auth.audit_logs (event_type, action, resource, detail, user_id)
         values ('BENCH', 'bench.insert', 'bench', '{"n": 1}', 'bench-writer')`,
};

const scenario: Scenario = {
  id: "audit-insert",
  title: "Audit insert with and without the hash chain",
  description:
    "Audit rows inserted one per transaction by the owner, from the worker's node-postgres loop, into auth.audit_logs " +
    "(its before-insert trigger runs; rows start unlinked). auth-db links rows into the hash chain asynchronously: its " +
    "chainer (auth.chain_audit_logs) runs every second. Baseline: the same inserts while the runner holds the chain's " +
    "advisory lock, so nothing is chained during the run; subject: the same inserts with auth-db's chainer linking " +
    "alongside. The backlog left by the baseline run is then linked and timed: the chain's linking rate.",
  targetNames: [RATIO, LINKING],
  async run(ctx) {
    const { database, options } = ctx;
    const insertRun = (id: string, label: string, role: "baseline" | "subject") =>
      ctx.sqlRun({ id, label, role, connectionString: database.ownerUrl, concurrency: options.sqlConcurrency, statements: [INSERT] });

    const client = await connect(database.ownerUrl);
    try {
      const chainOff = await holdChainOff(database.ownerUrl);
      let withoutChain;
      try {
        withoutChain = await insertRun("insert-unchained", "insert, chain held off", "baseline");
      } finally {
        await chainOff.release();
      }
      const backlog: LinkingTime = await linkEverything(client);
      await ctx.settle();

      const withChain = await insertRun("insert-chained", "insert, auth-db's chainer running", "subject");
      const lag = await unlinkedRows(client);
      await linkEverything(client);

      return {
        runs: [withoutChain, withChain],
        baseline: withoutChain.id,
        targets: [
          ratioAtLeast(
            RATIO,
            "≥ 0.50× the inserts/s without the chain, same concurrency",
            withChain.throughput / withoutChain.throughput,
            0.5,
            `${withChain.throughput.toFixed(0)} vs ${withoutChain.throughput.toFixed(0)} inserts/s; ${lag} rows still unlinked when the run ended`,
          ),
          reported(LINKING, "reported: rows linked per second", `${backlog.rowsPerSecond.toFixed(0)} rows/s (${backlog.rows} rows in ${backlog.seconds.toFixed(2)} s)`),
        ],
        notes: ["Inserts/s here are transactions per second: each inserted one row and committed (synchronous_commit on)."],
      };
    } finally {
      await client.end();
    }
  },
};

export default scenario;
