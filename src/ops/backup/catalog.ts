import type pg from "pg";

/*
 * What backup and restore need to know about schema auth, read from
 * PostgreSQL's catalogue rather than listed by hand, so a table added by a
 * later migration is backed up without anyone remembering to.
 */

/** A table of schema auth as `auth.<name>` (quoted where needed), with its columns in order. */
export interface Table {
  name: string;
  columns: string[];
}

export interface ForeignKey {
  name: string;
  child: string;
  childColumns: string[];
  parent: string;
  parentColumns: string[];
}

export interface Partition {
  parent: string;
  name: string;
  from: string;
  to: string;
}

/** The foreign keys between tables of schema auth (declared ones, not their per-partition clones). */
export async function listForeignKeys(client: pg.ClientBase): Promise<ForeignKey[]> {
  const { rows } = await client.query<ForeignKey>(`
    select c.conname::text as name,
           format('%I.%I', cn.nspname, cr.relname) as child,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, i)
                   join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.i) as "childColumns",
           format('%I.%I', pn.nspname, pr.relname) as parent,
           array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, i)
                   join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.i) as "parentColumns"
      from pg_constraint c
      join pg_class cr on cr.oid = c.conrelid
      join pg_namespace cn on cn.oid = cr.relnamespace
      join pg_class pr on pr.oid = c.confrelid
      join pg_namespace pn on pn.oid = pr.relnamespace
     where c.contype = 'f' and cn.nspname = 'auth' and c.conparentid = 0
     order by 2, 1`);
  return rows;
}

/** Orders tables so that every table comes after the tables it references. */
function inForeignKeyOrder(tables: Table[], foreignKeys: ForeignKey[]): Table[] {
  const ordered: Table[] = [];
  const placed = new Set<string>();
  let waiting = tables;
  while (waiting.length > 0) {
    const ready = waiting.filter((table) =>
      foreignKeys.every((fk) => fk.child !== table.name || fk.parent === table.name || placed.has(fk.parent)),
    );
    if (ready.length === 0) {
      throw new Error(`the foreign keys of ${waiting.map((t) => t.name).join(", ")} form a cycle: no loading order exists`);
    }
    for (const table of ready) {
      ordered.push(table);
      placed.add(table.name);
    }
    waiting = waiting.filter((table) => !placed.has(table.name));
  }
  return ordered;
}

/**
 * Every table of schema auth that holds rows of its own: plain tables and
 * partitioned parents (their partitions are read and written through them),
 * referenced tables first.
 */
export async function listTables(client: pg.ClientBase): Promise<Table[]> {
  const { rows } = await client.query<Table>(`
    select format('%I.%I', n.nspname, c.relname) as name,
           array(select a.attname::text from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                  order by a.attnum) as columns
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'auth' and c.relkind in ('r', 'p') and not c.relispartition
     order by 1`);
  return inForeignKeyOrder(rows, await listForeignKeys(client));
}

/**
 * The range partitions of schema auth's partitioned tables and their bounds
 * (the default partitions are made by the migrations). Expects a session in
 * UTC, so the bounds read back exactly.
 */
export async function listPartitions(client: pg.ClientBase): Promise<Partition[]> {
  const { rows } = await client.query<{ parent: string; name: string; bound: string; from: Date | null; to: Date | null }>(`
    select format('%I.%I', pn.nspname, p.relname) as parent,
           c.relname::text as name,
           pg_get_expr(c.relpartbound, c.oid) as bound,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \\(''([^'']+)''\\) TO \\(''[^'']+''\\)$'))[1]::timestamptz as from,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \\(''[^'']+''\\) TO \\(''([^'']+)''\\)$'))[1]::timestamptz as to
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_namespace cn on cn.oid = c.relnamespace
      join pg_class p on p.oid = i.inhparent
      join pg_namespace pn on pn.oid = p.relnamespace
     where pn.nspname = 'auth' and cn.nspname = 'auth' and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
     order by 1, 4`);
  return rows.map(({ parent, name, bound, from, to }) => {
    if (!from || !to) throw new Error(`auth.${name}: cannot back up a partition bounded by "${bound}" (expected a range of timestamps)`);
    return { parent, name, from: from.toISOString(), to: to.toISOString() };
  });
}
