import type { TestDatabase } from "./database.js";

const DAY = 86_400_000;

/**
 * A security-events day `daysAgo` days back (past the 90-day retention),
 * filled with `rows` rows whose text needs CSV quoting (quotes, commas, a
 * line break) and detached into schema archive by the partition
 * maintenance, as the schedule would.
 */
export async function archivedEventDay(db: TestDatabase, rows: number, daysAgo = 100): Promise<{ table: string; day: Date }> {
  const day = new Date(Date.now() - daysAgo * DAY);
  const date = day.toISOString().slice(0, 10);
  const table = `security_events_p${date.replaceAll("-", "")}`;
  await db.asOwner(async (client) => {
    await client.query("select auth.ensure_security_event_partition($1::date)", [date]);
    await client.query(
      `insert into auth.security_events (type, description, ip_address, detail, created_at)
       select 'TEST', 'row ' || n || E' with "quotes", commas\nand a line break', ('10.0.0.' || (n % 250))::inet, jsonb_build_object('n', n), $2::timestamptz
         from generate_series(1, $1) n`,
      [rows, day],
    );
    await client.query("select * from auth.run_partition_maintenance(now(), false)");
  });
  return { table, day };
}

/** The tables waiting in schema archive. */
export async function archiveTables(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.asOwner((client) => client.query("select table_name from archive.get_archive_status()"));
  return rows.map((row) => row.table_name);
}

/** A table's rows as text, in export order, to compare with what was loaded back. */
export async function rowsAsText(db: TestDatabase, table: string): Promise<string[]> {
  const { rows } = await db.asOwner((client) => client.query(`select t::text as r from ${table} t order by created_at, id`));
  return rows.map((row) => row.r);
}
