import { parseArgs } from "node:util";
import type pg from "pg";
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
 * `npm run audit:verify`: checks the audit hash chain from seq 1 (rows gone
 * with detached partitions through the anchors that record them) and prints
 * its head. Keep the printed head somewhere outside the database and pass it
 * back with --expect-head: a chain rewritten consistently from end to end
 * would still verify, but would no longer contain that head; and every range
 * of rows that left the log since that head must be older than the
 * retention. Exits 1 on any break.
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
      if (ok) {
        const detached = await detachedRows(client, from ?? 1, to ?? result.head_seq);
        console.log(`audit chain intact: ${result.checked_rows} rows checked${detached === "0" ? "" : `, ${detached} detached`}`);
      } else console.error(`AUDIT CHAIN BROKEN at seq ${result.first_broken_seq}: ${result.reason}`);
      if (head) {
        const { rows: found } = await client.query("select auth.audit_chain_contains($1, $2) as contained", [head[1], head[2]]);
        if (found[0].contained) console.log(`expected head ${head[1]} is still part of the chain`);
        else {
          console.error(`AUDIT CHAIN REWRITTEN: the saved head ${expected} is no longer in it`);
          ok = false;
        }
        // Structure alone does not prove that rows were old enough to leave: their anchors may be newer than the head.
        if (result.intact && !(await reportDetachedSince(client, head[1]!))) ok = false;
      }
      console.log(`head: ${result.head_seq}:${result.head_hash}`);
      return ok ? 0 : 1;
    });
  } finally {
    await database.close();
  }
});

/** How many seqs from..to left the log with detached partitions, as the latest anchor lists them. */
async function detachedRows(client: pg.ClientBase, from: number | string, to: number | string): Promise<string> {
  const { rows } = await client.query(
    `select coalesce(sum(r.last_seq - r.first_seq + 1), 0)::text as n
       from auth.audit_chain_detached_runs() r where r.first_seq >= $1 and r.last_seq <= $2`,
    [from, to],
  );
  return rows[0].n;
}

/**
 * Prints each range of rows that left the log since the saved head; a range
 * whose last row is not older than the retention (or whose age nothing
 * proves) is a failure. Returns whether every range was old enough.
 */
async function reportDetachedSince(client: pg.ClientBase, savedSeq: string): Promise<boolean> {
  const { rows } = await client.query<{ first_seq: string; last_seq: string; created: string | null; retention: string; expired: boolean }>(
    `select first_seq::text, last_seq::text, retention::text, expired,
            to_char(last_created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created
       from auth.audit_chain_detached_since($1)`,
    [savedSeq],
  );
  let ok = true;
  for (const range of rows) {
    const seqs = `seqs ${range.first_seq} to ${range.last_seq} left the log since the saved head`;
    if (range.expired) console.log(`${seqs}; the last of them was created ${range.created}, past the retention of ${range.retention}`);
    else {
      ok = false;
      const age = range.created === null ? "nothing proves when the last of them was created" : `the last of them was created ${range.created}`;
      console.error(`AUDIT ROWS REMOVED BEFORE THEIR RETENTION: ${seqs}, but ${age}, within the retention of ${range.retention}`);
    }
  }
  return ok;
}
