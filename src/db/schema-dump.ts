import type pg from "pg";
import type { RoleNames } from "../config/roles.js";

/*
 * The database's current shape as SQL text, read from the catalogue (the
 * embedded PostgreSQL ships no pg_dump): schemas, types, tables with their
 * columns and constraints, indexes, functions with their bodies, triggers,
 * policies, grants and comments. Deterministic: sorted, no oids or
 * timestamps, role names as the migrations' placeholders, and partitions
 * left out (which ones exist depends on the day the database was made).
 */

/** The schemas auth-db's migrations own; graphile-migrate's and graphile-worker's are theirs. */
const SCHEMAS = `
  select n.oid, n.nspname from pg_namespace n
   where n.nspname not like 'pg\\_%' and n.nspname not in ('information_schema', 'public', 'graphile_migrate', 'graphile_worker')`;

/** Each section is one query answering (sort key, SQL text) rows. */
const SECTIONS: Array<[title: string, query: string]> = [
  [
    "schemas",
    `select s.nspname, format('create schema %I;', s.nspname)
            || coalesce(format(E'\\ncomment on schema %I is %L;', s.nspname, obj_description(s.oid, 'pg_namespace')), '')
       from (${SCHEMAS}) s`,
  ],
  [
    "types",
    `select format('%I.%I', n.nspname, t.typname),
            case t.typtype
              when 'e' then format('create type %I.%I as enum (%s);', n.nspname, t.typname,
                (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid))
              else format(E'create type %I.%I as (\\n%s\\n);', n.nspname, t.typname,
                (select string_agg(format('  %I %s', a.attname, format_type(a.atttypid, a.atttypmod)), E',\\n' order by a.attnum)
                   from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped))
            end
            || coalesce(format(E'\\ncomment on type %I.%I is %L;', n.nspname, t.typname, obj_description(t.oid, 'pg_type')), '')
       from pg_type t join (${SCHEMAS}) n on n.oid = t.typnamespace
       left join pg_class c on c.oid = t.typrelid
      where t.typtype = 'e' or (t.typtype = 'c' and c.relkind = 'c')`,
  ],
  [
    "tables",
    `select format('%I.%I', n.nspname, c.relname),
            format(E'create table %I.%I (\\n%s\\n)%s;', n.nspname, c.relname,
              (select string_agg(format('  %I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                        case when a.attnotnull then ' not null' else '' end,
                        coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')), E',\\n' order by a.attnum)
                 from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
              case when c.relkind = 'p' then ' partition by ' || pg_get_partkeydef(c.oid) else '' end)
            || case when c.relrowsecurity then format(E'\\nalter table %I.%I enable row level security;', n.nspname, c.relname) else '' end
            || case when c.relforcerowsecurity then format(E'\\nalter table %I.%I force row level security;', n.nspname, c.relname) else '' end
            || coalesce(format(E'\\ncomment on table %I.%I is %L;', n.nspname, c.relname, obj_description(c.oid, 'pg_class')), '')
            || coalesce((select string_agg(format(E'\\ncomment on column %I.%I.%I is %L;', n.nspname, c.relname, a.attname,
                                                  col_description(c.oid, a.attnum)), '' order by a.attnum)
                           from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and col_description(c.oid, a.attnum) is not null), '')
       from pg_class c join (${SCHEMAS}) n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition`,
  ],
  [
    "views",
    `select format('%I.%I', n.nspname, c.relname),
            format(E'create view %I.%I as\\n%s', n.nspname, c.relname, pg_get_viewdef(c.oid))
            || coalesce(format(E'\\ncomment on view %I.%I is %L;', n.nspname, c.relname, obj_description(c.oid, 'pg_class')), '')
       from pg_class c join (${SCHEMAS}) n on n.oid = c.relnamespace
      where c.relkind = 'v'`,
  ],
  [
    "constraints",
    `select format('%I.%I %I', n.nspname, c.relname, k.conname),
            format('alter table %I.%I add constraint %I %s;', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid))
            || coalesce(format(E'\\ncomment on constraint %I on %I.%I is %L;', k.conname, n.nspname, c.relname,
                               obj_description(k.oid, 'pg_constraint')), '')
       from pg_constraint k join pg_class c on c.oid = k.conrelid join (${SCHEMAS}) n on n.oid = c.relnamespace
      where not c.relispartition and k.conislocal`,
  ],
  [
    "indexes",
    `select format('%I.%I', n.nspname, i.relname), pg_get_indexdef(i.oid) || ';'
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
       join (${SCHEMAS}) n on n.oid = c.relnamespace
      where not c.relispartition and not exists (select 1 from pg_constraint k where k.conindid = i.oid and k.conrelid = c.oid)`,
  ],
  [
    "functions",
    `select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
            rtrim(pg_get_functiondef(p.oid), E'\\n') || ';'
            || coalesce(format(E'\\ncomment on function %I.%I(%s) is %L;', n.nspname, p.proname,
                               pg_get_function_identity_arguments(p.oid), obj_description(p.oid, 'pg_proc')), '')
       from pg_proc p join (${SCHEMAS}) n on n.oid = p.pronamespace
      where p.prokind in ('f', 'p')`,
  ],
  [
    "triggers",
    `select format('%I.%I %I', n.nspname, c.relname, t.tgname), pg_get_triggerdef(t.oid) || ';'
            || coalesce(format(E'\\ncomment on trigger %I on %I.%I is %L;', t.tgname, n.nspname, c.relname,
                               obj_description(t.oid, 'pg_trigger')), '')
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join (${SCHEMAS}) n on n.oid = c.relnamespace
      where not t.tgisinternal and not c.relispartition`,
  ],
  [
    "event triggers",
    `select e.evtname, format('create event trigger %I on %s%s execute function %s();', e.evtname, e.evtevent,
              coalesce(' when tag in (' || (select string_agg(quote_literal(tag), ', ' order by tag) from unnest(e.evttags) tag) || ')', ''),
              e.evtfoid::regproc)
       from pg_event_trigger e
      where e.evtfoid in (select p.oid from pg_proc p join (${SCHEMAS}) n on n.oid = p.pronamespace)`,
  ],
  [
    "policies",
    `select format('%I.%I %I', n.nspname, c.relname, p.polname),
            format('create policy %I on %I.%I as %s for %s to %s%s%s;', p.polname, n.nspname, c.relname,
              case when p.polpermissive then 'permissive' else 'restrictive' end,
              case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end,
              (select string_agg(case when r = 0 then 'public' else quote_ident(r::regrole::text) end, ', ' order by 1)
                 from unnest(p.polroles) r),
              coalesce(E'\\n  using (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
              coalesce(E'\\n  with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
            || coalesce(format(E'\\ncomment on policy %I on %I.%I is %L;', p.polname, n.nspname, c.relname,
                               obj_description(p.oid, 'pg_policy')), '')
       from pg_policy p join pg_class c on c.oid = p.polrelid join (${SCHEMAS}) n on n.oid = c.relnamespace`,
  ],
  [
    "grants",
    `with grants (object, privilege, grantee, grantable) as (
       select format('schema %I', n.nspname), a.privilege_type, a.grantee, a.is_grantable
         from (${SCHEMAS}) n join pg_namespace s on s.oid = n.oid, aclexplode(s.nspacl) a
       union all
       select format('table %I.%I', n.nspname, c.relname), a.privilege_type, a.grantee, a.is_grantable
         from pg_class c join (${SCHEMAS}) n on n.oid = c.relnamespace, aclexplode(c.relacl) a
        where c.relkind in ('r', 'p', 'v', 'S') and not c.relispartition
       union all
       select format('table %I.%I (%I)', n.nspname, c.relname, att.attname), a.privilege_type, a.grantee, a.is_grantable
         from pg_attribute att join pg_class c on c.oid = att.attrelid join (${SCHEMAS}) n on n.oid = c.relnamespace,
              aclexplode(att.attacl) a
        where not c.relispartition and att.attnum > 0
       union all
       select format('function %I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
              a.privilege_type, a.grantee, a.is_grantable
         from pg_proc p join (${SCHEMAS}) n on n.oid = p.pronamespace,
              aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
       union all
       select format('type %I.%I', n.nspname, t.typname), a.privilege_type, a.grantee, a.is_grantable
         from pg_type t join (${SCHEMAS}) n on n.oid = t.typnamespace,
              aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
        where t.typtype in ('e', 'c') and t.typname not like '\\_%'
     )
     select object || ' ' || privilege || ' ' || grantee::text,
            format('grant %s on %s to %s%s;', lower(privilege),
                   regexp_replace(object, '^table (.*) \\((.*)\\)$', 'table \\1'),
                   case when grantee = 0 then 'public' else quote_ident(grantee::regrole::text) end,
                   case when grantable then ' with grant option' else '' end)
            || case when object ~ '\\)$' and object like 'table %' then ' -- column ' || substring(object from '\\(([^)]*)\\)$') else '' end
       from grants
      where grantee <> (select nspowner from pg_namespace where nspname = 'auth')`,
  ],
  [
    "default privileges",
    `select coalesce(n.nspname, '') || ' ' || d.defaclobjtype::text || ' ' || a.grantee::text || ' ' || a.privilege_type,
            format('alter default privileges%s grant %s on %s to %s;',
                   coalesce(' in schema ' || quote_ident(n.nspname), ''), lower(a.privilege_type),
                   case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions' when 'T' then 'types' else 'schemas' end,
                   case when a.grantee = 0 then 'public' else quote_ident(a.grantee::regrole::text) end)
       from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
      where d.defaclrole = (select nspowner from pg_namespace where nspname = 'auth')`,
  ],
];

/** Role names as the migrations write them, longest first so no name replaces part of another. */
function placeholders(roles: RoleNames): Array<[string, string]> {
  return (
    [
      [roles.authenticator, ":AUTH_AUTHENTICATOR"],
      [roles.anonymous, ":AUTH_ANONYMOUS"],
      [roles.service, ":AUTH_SERVICE"],
      [roles.owner, ":DATABASE_OWNER"],
      [roles.user, ":AUTH_USER"],
    ] as Array<[string, string]>
  ).sort((a, b) => b[0].length - a[0].length);
}

/** The dump of the database `client` is connected to, whose roles are `roles`. */
export async function dumpSchema(client: pg.ClientBase, roles: RoleNames): Promise<string> {
  const parts = ["-- The database as the committed migrations leave it. Written by `npm run schema:dump`; do not edit.\n"];
  for (const [title, query] of SECTIONS) {
    const { rows } = await client.query<{ key: string; sql: string }>(`select k as key, s as sql from (${query}) as q (k, s)`);
    if (rows.length === 0) continue;
    // Sorted here, not by the database's collation, so every cluster writes the same file.
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const oneLineEach = rows.every((row) => !row.sql.includes("\n"));
    parts.push(`\n-- ${title}\n\n${rows.map((row) => row.sql).join(oneLineEach ? "\n" : "\n\n")}\n`);
  }
  let text = parts.join("");
  for (const [name, placeholder] of placeholders(roles)) {
    text = text.replace(new RegExp(`(?<![A-Za-z0-9_])"?${name}"?(?![A-Za-z0-9_])`, "g"), placeholder);
  }
  return text;
}
