import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { withClient } from "../db/client.js";
import { provisionDatabase } from "../db/provision.js";
import { runCli } from "./run.js";

const USAGE = "usage: npm run audit:verify -- [--from <seq>] [--to <seq>] [--expect-head <seq>:<hash>]";

function seqFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw new Error(`--${name}: expected a positive whole number, got "${value}"\n${USAGE}`);
  return Number(value);
}

/**
 * `npm run audit:verify`: checks the audit hash chain and prints its head.
 * Keep the printed head somewhere outside the database and pass it back with
 * --expect-head: a chain rewritten consistently from end to end would still
 * verify, but would no longer contain that head. Exits 1 on any break.
 */
runCli(async () => {
  const { values } = parseArgs({
    options: { from: { type: "string" }, to: { type: "string" }, "expect-head": { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const from = seqFlag("from", values.from);
  const to = seqFlag("to", values.to);
  const expected = values["expect-head"];
  const head = expected === undefined ? undefined : /^([1-9][0-9]*):([0-9a-f]{64})$/.exec(expected);
  if (expected !== undefined && !head) {
    throw new Error(`--expect-head: expected <seq>:<64 hex characters>, as printed by an earlier run\n${USAGE}`);
  }

  const config = loadConfig();
  const database = await provisionDatabase(config.database);
  try {
    return await withClient(config.database.ownerUrl, async (client) => {
      const { rows } = await client.query(
        "select intact, first_broken_seq, reason, checked_rows, head_seq, head_hash from auth.verify_audit_chain($1, $2)",
        [from ?? null, to ?? null],
      );
      const result = rows[0];
      let ok = result.intact as boolean;
      if (ok) console.log(`audit chain intact: ${result.checked_rows} rows checked`);
      else console.error(`AUDIT CHAIN BROKEN at seq ${result.first_broken_seq}: ${result.reason}`);
      if (head) {
        const { rows: found } = await client.query("select auth.audit_chain_contains($1, $2) as contained", [head[1], head[2]]);
        if (found[0].contained) console.log(`expected head ${head[1]} is still part of the chain`);
        else {
          console.error(`AUDIT CHAIN REWRITTEN: the saved head ${expected} is no longer in it`);
          ok = false;
        }
      }
      console.log(`head: ${result.head_seq}:${result.head_hash}`);
      return ok ? 0 : 1;
    });
  } finally {
    await database.close();
  }
});
