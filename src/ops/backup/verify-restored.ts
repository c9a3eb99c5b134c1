import pg from "pg";
import { listForeignKeys } from "./catalog.js";
import type { Manifest } from "./manifest.js";

export interface AuditChainState {
  checkedRows: string;
  headSeq: string;
  headHash: string;
}

/** Rows were loaded with foreign-key triggers off: find any row whose referenced row is not there. */
async function checkForeignKeys(client: pg.ClientBase): Promise<void> {
  for (const fk of await listForeignKeys(client)) {
    const child = fk.childColumns.map((column) => `c.${pg.escapeIdentifier(column)}`);
    const parent = fk.parentColumns.map((column) => `p.${pg.escapeIdentifier(column)}`);
    const { rows } = await client.query<{ orphans: string }>(
      `select count(*)::text as orphans from ${fk.child} c
        where ${child.map((column) => `${column} is not null`).join(" and ")}
          and not exists (select from ${fk.parent} p where ${parent.map((column, i) => `${column} = ${child[i]}`).join(" and ")})`,
    );
    if (rows[0]!.orphans !== "0") {
      throw new Error(`restored data breaks foreign key ${fk.name}: ${rows[0]!.orphans} rows of ${fk.child} reference missing rows of ${fk.parent}`);
    }
  }
}

/** Every table holds as many rows as the manifest says the backup wrote. */
async function checkRowCounts(client: pg.ClientBase, manifest: Manifest): Promise<void> {
  for (const entry of manifest.tables) {
    const { rows } = await client.query<{ count: string }>(`select count(*)::text as count from ${entry.table}`);
    if (rows[0]!.count !== String(entry.rows)) {
      throw new Error(`restored ${entry.table} holds ${rows[0]!.count} rows, but the manifest says the backup wrote ${entry.rows}`);
    }
  }
}

/** The restored chain head is the one the backup recorded: no row was linked, unlinked or rehashed on the way. */
async function checkChainHead(client: pg.ClientBase, manifest: Manifest): Promise<void> {
  const { rows } = await client.query<{ seq: string; hash: string }>("select seq::text, hash from auth.audit_chain_head");
  const head = rows[0];
  const expected = manifest.auditChainHead;
  if (!head || head.seq !== expected.seq || head.hash !== expected.hash) {
    throw new Error(
      `restored audit chain head is ${head ? `${head.seq}:${head.hash}` : "missing"}, but the backup recorded ${expected.seq}:${expected.hash}`,
    );
  }
}

/** auth.verify_audit_chain over the whole restored chain (it first links rows the backup held unlinked). */
async function verifyChain(client: pg.ClientBase): Promise<AuditChainState> {
  const { rows } = await client.query(
    "select intact, first_broken_seq::text, reason, checked_rows::text, head_seq::text, head_hash from auth.verify_audit_chain()",
  );
  const result = rows[0];
  if (!result.intact) {
    throw new Error(`the restored audit chain is broken at seq ${result.first_broken_seq}: ${result.reason}`);
  }
  return { checkedRows: result.checked_rows, headSeq: result.head_seq, headHash: result.head_hash };
}

/**
 * Checks what was loaded, inside the restore's transaction so that any
 * failure rolls all of it back: foreign keys, row counts, the chain head,
 * and the whole audit chain. Returns the verified chain.
 */
export async function verifyRestored(client: pg.ClientBase, manifest: Manifest): Promise<AuditChainState> {
  await checkForeignKeys(client);
  await checkRowCounts(client, manifest);
  await checkChainHead(client, manifest);
  return verifyChain(client);
}
