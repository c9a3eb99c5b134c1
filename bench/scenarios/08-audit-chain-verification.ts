import { connect, describeLinking, linkEverything } from "../harness/audit-chain.js";
import { log } from "../harness/log.js";
import { reported } from "../harness/targets.js";
import type { Scenario } from "../harness/types.js";

const RATE = "audit chain: verification rate";

interface Verification {
  intact: boolean;
  reason: string | null;
  checked_rows: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const scenario: Scenario = {
  id: "audit-chain-verification",
  title: "Audit chain verification, rows per second",
  description:
    "auth.verify_audit_chain() over the whole chain (every audit row so far, topped up to the mode's row count with " +
    "bulk-inserted rows, all linked first, so in chain format 2), as npm run audit:verify calls it: every row's hash " +
    "recomputed in one pass PostgreSQL may run in parallel, then one ordered pass comparing neighbours. " +
    "Timed from the runner; rows/s is checked rows over the call's wall time, median of the repetitions.",
  targetNames: [RATE],
  async run(ctx) {
    const { database, options } = ctx;
    const client = await connect(database.ownerUrl);
    try {
      const { rows: counted } = await client.query<{ n: number }>("select count(*)::int as n from auth.audit_logs");
      const missing = options.auditChainRows - counted[0]!.n;
      if (missing > 0) {
        await client.query(
          `insert into auth.audit_logs (event_type, action, resource, detail, user_id)
           select 'BENCH', 'bench.fill', 'bench', jsonb_build_object('n', i), 'bench-filler' from generate_series(1, $1::int) as i`,
          [missing],
        );
      }
      const linking = await linkEverything(client);
      await ctx.settle();
      log(`  audit log topped up to ${options.auditChainRows.toLocaleString("en")} rows; ${describeLinking(linking)}`);

      const seconds: number[] = [];
      let last: Verification | undefined;
      for (let i = 0; i < options.auditChainVerifications; i++) {
        const started = performance.now();
        const { rows } = await client.query<Verification>("select intact, reason, checked_rows from auth.verify_audit_chain()");
        seconds.push((performance.now() - started) / 1000);
        last = rows[0]!;
      }
      const checked = Number(last!.checked_rows);
      const time = median(seconds);
      return {
        runs: [],
        targets: [
          reported(
            RATE,
            "reported: rows verified per second",
            `${(checked / time).toFixed(0)} rows/s (${checked} rows in ${time.toFixed(2)} s, median of ${seconds.length}; chain ${last!.intact ? "intact" : `BROKEN: ${last!.reason}`})`,
          ),
        ],
        notes: [
          `verify_audit_chain() times: ${seconds.map((s) => `${s.toFixed(2)} s`).join(", ")}.`,
          `Before verifying: ${describeLinking(linking)}.`,
        ],
      };
    } finally {
      await client.end();
    }
  },
};

export default scenario;
