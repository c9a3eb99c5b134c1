import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { Logger, runMigrations } from "graphile-worker";
import type { TestDatabase } from "./database.js";

/** The reviewed list of every grant in a freshly migrated database (`npm run grants:allow-list` writes it). */
export const ALLOW_LIST_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "schema",
  "grants.allow-list.txt",
);

export const REGENERATE_COMMAND = "npm run grants:allow-list";

const HEADER = `# Every privilege held in a freshly migrated auth-db database (graphile-worker's schema
# installed too, as the scheduler does), one line each, sorted. test/schema/grants.test.ts
# compares the database with this file, so a new grant is a reviewed change.
#
# Regenerate with \`${REGENERATE_COMMAND}\` after a migration changes grants, and review the diff.
# Role names are written with the database's prefix as <prefix>; <database> is the database.
# An object's owner holds every privilege on it implicitly and is not listed; an owner other
# than <prefix>_owner is. A null ACL counts as PostgreSQL's default for its kind (functions:
# EXECUTE to PUBLIC; types: USAGE to PUBLIC), so a forgotten revoke shows up here.
`;

/**
 * Every object of the database that can carry privileges, outside PostgreSQL's
 * own schemas: schemas, routines, tables, views, sequences, columns, types,
 * the database itself. `acl` falls back to the built-in default of its kind.
 */
const GRANTS_SQL = `
with schemas as (
  select n.oid, n.nspname, n.nspowner, n.nspacl from pg_namespace n
   where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
),
objects as (
  select 'schema' as kind, quote_ident(n.nspname) as name, n.nspowner as owner,
         coalesce(n.nspacl, acldefault('n', n.nspowner)) as acl
    from schemas n
  union all
  select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
         p.oid::regprocedure::text, p.proowner, coalesce(p.proacl, acldefault('f', p.proowner))
    from pg_proc p join schemas n on n.oid = p.pronamespace
  union all
  select case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                        when 'f' then 'foreign table' else 'table' end,
         c.oid::regclass::text, c.relowner,
         coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner))
    from pg_class c join schemas n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  union all
  select 'column', format('%s.%I', c.oid::regclass, a.attname), c.relowner, a.attacl
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join schemas n on n.oid = c.relnamespace
   where a.attacl is not null and a.attnum > 0 and not a.attisdropped
  union all
  -- Types that can be granted on: not arrays, not the row types of tables.
  select 'type', t.oid::regtype::text, t.typowner, coalesce(t.typacl, acldefault('T', t.typowner))
    from pg_type t join schemas n on n.oid = t.typnamespace
   where t.typtype in ('e', 'd', 'r', 'm', 'c') and t.typcategory <> 'A'
     and (t.typrelid = 0 or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
  union all
  select 'database', '<database>', d.datdba, coalesce(d.datacl, acldefault('d', d.datdba))
    from pg_database d where d.datname = current_database()
)
select o.kind, o.name, null as grantee, null as privilege, false as grantable, o.owner::regrole::text as owner
  from objects o
union all
select o.kind, o.name, case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end,
       a.privilege_type, a.is_grantable, null
  from objects o cross join lateral aclexplode(o.acl) a
 where a.grantee <> o.owner
`;

/** Default privileges (ALTER DEFAULT PRIVILEGES): what objects created later will carry. */
const DEFAULT_ACL_SQL = `
select d.defaclrole::regrole::text as role,
       case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions'
                            when 'T' then 'types' when 'n' then 'schemas' when 'L' then 'large objects' end as kind,
       case when d.defaclnamespace = 0 then null else d.defaclnamespace::regnamespace::text end as schema,
       case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end as grantee,
       a.privilege_type as privilege, a.is_grantable as grantable
  from pg_default_acl d
  left join lateral aclexplode(d.defaclacl) a on true
`;

interface GrantRow {
  kind: string;
  name: string;
  grantee: string | null;
  privilege: string | null;
  grantable: boolean;
  owner: string | null;
}

interface DefaultAclRow {
  role: string;
  kind: string;
  schema: string | null;
  grantee: string | null;
  privilege: string | null;
  grantable: boolean;
}

/** Partitions are named after their period (audit_logs_y2026m05, security_events_p20260517): one line for all. */
function withoutPeriods(name: string): string {
  return name.replace(/_y\d{4}m\d{2}\b/g, "_y<YYYY>m<MM>").replace(/_p\d{8}\b/g, "_p<YYYYMMDD>");
}

/**
 * The grants of the database `client` is connected to, one line each, sorted
 * and without duplicates; role names with `prefix` written as <prefix>.
 */
export async function listGrants(client: pg.ClientBase, prefix: string): Promise<string[]> {
  const role = (name: string) => (name.startsWith(`${prefix}_`) ? `<prefix>${name.slice(prefix.length)}` : name);
  const owner = `${prefix}_owner`;
  const lines = new Set<string>();
  // Names print schema-qualified whatever the caller's search_path.
  await client.query("set search_path = pg_catalog");
  const { rows } = await client.query<GrantRow>(GRANTS_SQL);
  for (const row of rows) {
    const object = `${row.kind} ${withoutPeriods(row.name)}`;
    if (row.owner !== null) {
      if (row.owner !== owner) lines.add(`${object}: owned by ${role(row.owner)}`);
      continue;
    }
    lines.add(`${object}: ${row.privilege} to ${role(row.grantee!)}${row.grantable ? " with grant option" : ""}`);
  }
  const { rows: defaults } = await client.query<DefaultAclRow>(DEFAULT_ACL_SQL);
  for (const row of defaults) {
    const scope = `default privileges on ${row.kind} created by ${role(row.role)}${row.schema ? ` in schema ${row.schema}` : ""}`;
    lines.add(
      row.grantee === null
        ? `${scope}: none`
        : `${scope}: ${row.privilege} to ${role(row.grantee)}${row.grantable ? " with grant option" : ""}`,
    );
  }
  return [...lines].sort();
}

/**
 * Installs what the running service adds to a migrated database besides the
 * migrations: graphile-worker's schema (the scheduler creates it as the owner).
 */
export async function installWorkerSchema(db: TestDatabase): Promise<void> {
  const silent = new Logger(() => () => {});
  await runMigrations({ connectionString: db.config.database.ownerUrl, logger: silent });
}

/** The grants of a migrated test database (graphile-worker's schema included), as in the allow-list. */
export async function grantsOf(db: TestDatabase): Promise<string[]> {
  await installWorkerSchema(db);
  return db.asOwner((client) => listGrants(client, db.config.database.roles.prefix));
}

/** The allow-list's lines, without the comments. */
export async function readAllowList(): Promise<string[]> {
  const text = await fs.readFile(ALLOW_LIST_FILE, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

export async function writeAllowList(lines: string[]): Promise<void> {
  await fs.writeFile(ALLOW_LIST_FILE, `${HEADER}\n${lines.join("\n")}\n`);
}

/** What the database has that the allow-list lacks (+) and what it lacks of the list (-). */
export function grantDiff(allowed: string[], actual: string[]): string[] {
  const allowedSet = new Set(allowed);
  const actualSet = new Set(actual);
  return [
    ...actual.filter((line) => !allowedSet.has(line)).map((line) => `+ ${line}`),
    ...allowed.filter((line) => !actualSet.has(line)).map((line) => `- ${line}`),
  ];
}
