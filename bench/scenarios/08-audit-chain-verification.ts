import { connect, describeLinking, linkEverything } from "../harness/audit-chain.js";
import { log } from "../harness/log.js";
import { valueAtLeast } from "../harness/targets.js";
import type { Scenario } from "../harness/types.js";

const RATE = "audit chain: verification rate";

interface Verification {
  intact: boolean;
  reason: string | null;
  checked_rows: string;
}

/** Times the parts of a verification over the whole chain, for the report's notes. */
async function whereTheTimeGoes(client: Awaited<ReturnType<typeof connect>>) {
  const { rows } = await client.query<{ first: string; last: string }>("select min(seq) as first, max(seq) as last from auth.audit_logs");
  const range = [rows[0]!.first, rows[0]!.last];
  const timed = async (sql: string) => {
    const started = performance.now();
    await client.query(sql, range);
    return (performance.now() - started) / 1000;
  };
  return {
    singlePass: await timed("select * from auth.audit_chain_check($1, $2, 1)"),
    sha256Only: await timed(
      "select count(*) from auth.audit_logs where seq between $1 and $2 and sha256(convert_to(hash, 'UTF8')) = '\\x00'::bytea",
    ),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const scenario: Scenario = {
  id: "audit-chain-verification",
  title: "Audit chain verification, rows per second",
  description:
    "auth.verify_audit_chain() over the whole chain (every audit row so far, topped up to the mode's row count with " +
    "bulk-inserted rows, all linked first, so in chain format 2, then vacuumed and analyzed), as npm run audit:verify calls it: one unordered pass " +
    "PostgreSQL runs on parallel workers recomputes every row's hash and balances the links under a fresh key; an intact " +
    "chain needs nothing more (the ordered walk runs only to locate a break). " +
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
      // What autovacuum does after a million new row versions, done now so it
      // neither runs during the timing nor leaves the planner with stale counts.
      await client.query("vacuum (analyze) auth.audit_logs");
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
      const parts = await whereTheTimeGoes(client);
      return {
        runs: [],
        targets: [
          valueAtLeast(
            RATE,
            "≥ 1,000,000 rows verified per second (full mode verifies 1,000,000 rows)",
            checked / time,
            1_000_000,
            `${(checked / time).toFixed(0)} rows/s (${checked} rows in ${time.toFixed(2)} s, median of ${seconds.length}; chain ${last!.intact ? "intact" : `BROKEN: ${last!.reason}`})`,
          ),
        ],
        notes: [
          `verify_audit_chain() times: ${seconds.map((s) => `${s.toFixed(2)} s`).join(", ")}.`,
          `Before verifying: ${describeLinking(linking)}.`,
          `Where the time goes: the single pass alone (auth.audit_chain_check, on parallel workers) takes ${parts.singlePass.toFixed(2)} s; ` +
            "the rest of verify_audit_chain is linking any unlinked rows first and a few index lookups. " +
            `SHA-256 of one 64-character value per row alone, over the same rows with the same parallel plan, takes ${parts.sha256Only.toFixed(2)} s: ` +
            "the floor of any pass that hashes every row on this machine. Serializing a row's fifteen columns (record_send) costs more than the SHA-256 of the result here.",
        ],
      };
    } finally {
      await client.end();
    }
  },
};

export default scenario;
