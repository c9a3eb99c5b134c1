import type pg from "pg";
import type { Manifest } from "./manifest.js";

export type SequenceValue = Manifest["sequences"][number];

/**
 * The highest value each sequence of schema auth has handed out (0 when
 * unused). Sequences are not transactional: this may run ahead of the
 * snapshot, never behind it, which is the safe side for a restore.
 */
export async function readSequences(client: pg.ClientBase): Promise<SequenceValue[]> {
  const { rows } = await client.query<SequenceValue>(`
    select format('%I.%I', schemaname, sequencename) as sequence, coalesce(last_value, 0)::text as "lastValue"
      from pg_sequences where schemaname = 'auth' order by 1`);
  return rows;
}

/**
 * Moves every sequence of schema auth past both the value it had at backup
 * time and the largest id restored into the column that owns it, so new
 * rows never collide with restored ones.
 */
export async function resetSequences(client: pg.ClientBase, saved: SequenceValue[]): Promise<void> {
  const { rows } = await client.query<{ sequence: string; table: string | null; column: string | null }>(`
    select format('%I.%I', sn.nspname, s.relname) as sequence,
           case when t.oid is not null then format('%I.%I', tn.nspname, t.relname) end as table,
           quote_ident(a.attname) as column
      from pg_class s
      join pg_namespace sn on sn.oid = s.relnamespace
      left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = s.oid
                           and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
      left join pg_class t on t.oid = d.refobjid
      left join pg_namespace tn on tn.oid = t.relnamespace
      left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
     where s.relkind = 'S' and sn.nspname = 'auth'`);
  for (const { sequence, table, column } of rows) {
    const lastValue = saved.find((value) => value.sequence === sequence)?.lastValue ?? "0";
    const restoredMax = table && column ? `(select max(${column}) from ${table})` : "null";
    await client.query(
      `select setval($1::regclass, v) from (select greatest($2::bigint, ${restoredMax}) as v) highest where v > 0`,
      [sequence, lastValue],
    );
  }
}
