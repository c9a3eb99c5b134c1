-- The database as the committed migrations leave it. Written by `npm run schema:dump`; do not edit.

-- schemas

create schema archive;
comment on schema archive is 'Detached partitions waiting for export to external storage.';

create schema auth;
comment on schema auth is 'auth-db: user profiles linked to Keycloak, role-based access control, API keys and the audit trail.';

-- types

create type auth.api_key_standing as (
  code text,
  permissions text[]
);
comment on type auth.api_key_standing is 'A key''s state at use: VALID, REVOKED or EXPIRED (its own or an issuing key''s), and what it holds now.';

create type auth.api_key_verification as (
  valid boolean,
  code text,
  key_id uuid,
  service_name text,
  tier auth.tier,
  permissions jsonb
);
comment on type auth.api_key_verification is 'The answer to a key verification: code is VALID, NOT_FOUND, EXPIRED, REVOKED or MALFORMED; the key''s id, service, tier and permissions only when valid.';

create type auth.audit_result as enum ('SUCCESS', 'FAILURE', 'DENIED');
comment on type auth.audit_result is 'Outcome of an audited operation.';

create type auth.issued_api_key as (
  key_id uuid,
  key text,
  key_prefix text,
  name text,
  service_name text,
  tier auth.tier,
  permissions jsonb,
  expires_at timestamp with time zone
);
comment on type auth.issued_api_key is 'A newly issued key. `key` is the secret: it is shown this once and stored nowhere.';

create type auth.permission_action as enum ('read', 'write', 'delete', 'admin');
comment on type auth.permission_action is 'What a permission allows on its resource; admin implies every other action.';

create type auth.permission_check as (
  resource text,
  action auth.permission_action
);
comment on type auth.permission_check is 'One (resource, action) pair to check.';

create type auth.tier as enum ('system', 'business', 'service');
comment on type auth.tier is 'Privilege tier of a role, permission or API key, highest first: system > business > service.';

create type auth.user_status as enum ('active', 'inactive', 'suspended');
comment on type auth.user_status is 'Only active users hold permissions.';

-- tables

create table archive.exports (
  table_name text not null,
  location text not null,
  row_count bigint not null,
  sha256 text not null,
  bytes bigint not null,
  verified_at timestamp with time zone not null default now()
);
comment on table archive.exports is 'Exports of archived tables that were written, read back and verified.';

create table auth.api_keys (
  id uuid not null default gen_random_uuid(),
  name text not null,
  key_hash bytea not null,
  key_prefix text not null,
  service_name text not null,
  tier auth.tier not null default 'service'::auth.tier,
  permissions jsonb not null default '[]'::jsonb,
  expires_at timestamp with time zone,
  last_used_at timestamp with time zone,
  is_active boolean not null default true,
  created_by uuid,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now(),
  revoked_at timestamp with time zone,
  replaced_by uuid,
  issuer text not null default 'operator'::text,
  issued_by_key uuid
);
alter table auth.api_keys enable row level security;
comment on table auth.api_keys is '@behavior -insert -update -delete
A credential for a service. The key itself is shown once at creation and never stored.';
comment on column auth.api_keys.key_hash is '@behavior -*
SHA-256 of the key; never exposed.';
comment on column auth.api_keys.key_prefix is 'The first characters of the key, to recognise it in lists and logs.';
comment on column auth.api_keys.permissions is 'The key''s permissions as an array of "resource:action" strings.';
comment on column auth.api_keys.revoked_at is 'From this moment the key is refused (set by revoke, or by rotate after its grace period).';
comment on column auth.api_keys.replaced_by is 'The key that rotation issued in this one''s place.';
comment on column auth.api_keys.issuer is 'Who issued the key: `operator` (the schema owner''s CLI), `user` (created_by) or `api_key` (issued_by_key). A key never holds more than its issuer holds now.';
comment on column auth.api_keys.issued_by_key is 'The key that issued this one, when issuer is `api_key`. This key stops working when that one does.';

create table auth.audit_chain_head (
  singleton boolean not null default true,
  seq bigint not null,
  hash text not null
);
alter table auth.audit_chain_head enable row level security;
comment on table auth.audit_chain_head is '@behavior -*
The last linked row of the chain.';

create table auth.audit_logs (
  id bigint not null default nextval('auth.audit_logs_id_seq'::regclass),
  event_type text not null,
  action text not null,
  resource text,
  resource_id text,
  result auth.audit_result not null default 'SUCCESS'::auth.audit_result,
  detail jsonb not null default '{}'::jsonb,
  user_id text,
  ip_address inet,
  user_agent text,
  trace_id text,
  created_at timestamp with time zone not null default now(),
  actor_type text,
  seq bigint,
  previous_hash text,
  hash text,
  chain_format smallint not null default 2
) partition by RANGE (created_at);
alter table auth.audit_logs enable row level security;
comment on table auth.audit_logs is '@behavior -insert -update -delete
What happened to access control, who did it, from where, and with what outcome.';
comment on column auth.audit_logs.detail is 'What changed (before/after of changed columns); never secrets.';
comment on column auth.audit_logs.user_id is 'The actor: a Keycloak sub, an API key id, or a database role for changes made outside a request.';
comment on column auth.audit_logs.actor_type is 'What user_id names: a Keycloak user, an API key (service), or a database role.';
comment on column auth.audit_logs.seq is 'Position in the hash chain: gap-free, assigned when the row is linked (null for a moment after insert).';
comment on column auth.audit_logs.previous_hash is 'hash of the row at seq - 1.';
comment on column auth.audit_logs.hash is 'SHA-256 (hex) of previous_hash and every other column of this row.';
comment on column auth.audit_logs.chain_format is '@behavior -*
The canonical form this row''s hash was computed with: 1 (a JSON array) or 2 (the binary send form).';

create table auth.job_runs (
  id bigint not null default nextval('auth.job_runs_id_seq'::regclass),
  job text not null,
  started_at timestamp with time zone not null,
  finished_at timestamp with time zone not null default now(),
  succeeded boolean not null,
  detail jsonb not null default '{}'::jsonb
);
alter table auth.job_runs enable row level security;
comment on table auth.job_runs is '@behavior -*
Every run of a scheduled job and how it ended.';

create table auth.partition_policies (
  table_name text not null,
  granularity text not null,
  premake interval not null,
  retention interval not null,
  updated_at timestamp with time zone not null default now()
);
alter table auth.partition_policies enable row level security;
comment on table auth.partition_policies is '@behavior -*
Partitioning of each time-partitioned table: granularity, how far ahead partitions are premade, and how long rows stay before their partition is detached into schema archive. Change retention here, not in code.';

create table auth.permissions (
  id uuid not null default gen_random_uuid(),
  resource text not null,
  action auth.permission_action not null,
  description text,
  created_at timestamp with time zone not null default now(),
  tier auth.tier not null default 'system'::auth.tier
);
alter table auth.permissions enable row level security;
comment on table auth.permissions is '@behavior -insert -update -delete
One action on one resource, e.g. users:read.';
comment on column auth.permissions.tier is 'The lowest key tier that may hold this permission (system > business > service). The seeded resources are system.';

create table auth.role_permissions (
  role_id uuid not null,
  permission_id uuid not null,
  granted_at timestamp with time zone not null default now()
);
alter table auth.role_permissions enable row level security;
comment on table auth.role_permissions is '@behavior -insert -update -delete
Which permissions a role grants.';

create table auth.roles (
  id uuid not null default gen_random_uuid(),
  name text not null,
  description text,
  tier auth.tier not null,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now()
);
alter table auth.roles enable row level security;
comment on table auth.roles is '@behavior -insert -update -delete
A named bundle of permissions that can be assigned to users.';

create table auth.security_events (
  id bigint not null default nextval('auth.security_events_id_seq'::regclass),
  type text not null,
  description text,
  user_id text,
  user_name text,
  client_id text,
  ip_address inet,
  user_agent text,
  detail jsonb not null default '{}'::jsonb,
  created_at timestamp with time zone not null default now()
) partition by RANGE (created_at);
alter table auth.security_events enable row level security;
comment on table auth.security_events is '@behavior -insert -update -delete
Security-relevant events such as rejected credentials. Never holds a secret.';

create table auth.user_roles (
  user_id uuid not null,
  role_id uuid not null,
  assigned_by uuid,
  assigned_at timestamp with time zone not null default now()
);
alter table auth.user_roles enable row level security;
comment on table auth.user_roles is '@behavior -insert -update -delete
Which user holds which role, who assigned it and when.';

create table auth.users (
  id uuid not null default gen_random_uuid(),
  keycloak_sub text,
  username text not null,
  email text,
  display_name text,
  status auth.user_status not null default 'active'::auth.user_status,
  last_login_at timestamp with time zone,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now()
);
alter table auth.users enable row level security;
comment on table auth.users is '@behavior -insert -update -delete
A person (or Keycloak service account) known to auth-db, linked to Keycloak by its `sub`.';
comment on column auth.users.keycloak_sub is 'The Keycloak subject (`sub` claim); empty until the person first signs in when created by an operator.';
comment on column auth.users.username is 'Keycloak `preferred_username`; unique regardless of case.';
comment on column auth.users.email is 'Unique regardless of case.';
comment on column auth.users.status is 'Inactive and suspended users hold no permissions.';

-- constraints

alter table archive.exports add constraint exports_bytes_check CHECK ((bytes >= 0));
comment on constraint exports_bytes_check on archive.exports is NULL;

alter table archive.exports add constraint exports_pkey PRIMARY KEY (table_name);
comment on constraint exports_pkey on archive.exports is NULL;

alter table archive.exports add constraint exports_row_count_check CHECK ((row_count >= 0));
comment on constraint exports_row_count_check on archive.exports is NULL;

alter table archive.exports add constraint exports_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text));
comment on constraint exports_sha256_check on archive.exports is NULL;

alter table auth.api_keys add constraint api_keys_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;
comment on constraint api_keys_created_by_fkey on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_issued_by_key_fkey FOREIGN KEY (issued_by_key) REFERENCES auth.api_keys(id) ON DELETE SET NULL;
comment on constraint api_keys_issued_by_key_fkey on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_issuer_check CHECK ((issuer = ANY (ARRAY['operator'::text, 'user'::text, 'api_key'::text])));
comment on constraint api_keys_issuer_check on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_key_hash_check CHECK ((octet_length(key_hash) = 32));
comment on constraint api_keys_key_hash_check on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_key_hash_key UNIQUE (key_hash);
comment on constraint api_keys_key_hash_key on auth.api_keys is '@behavior -*';

alter table auth.api_keys add constraint api_keys_key_prefix_check CHECK (((char_length(key_prefix) >= 1) AND (char_length(key_prefix) <= 10)));
comment on constraint api_keys_key_prefix_check on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 255)));
comment on constraint api_keys_name_check on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_permissions_check CHECK ((jsonb_typeof(permissions) = 'array'::text));
comment on constraint api_keys_permissions_check on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_pkey PRIMARY KEY (id);
comment on constraint api_keys_pkey on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_replaced_by_fkey FOREIGN KEY (replaced_by) REFERENCES auth.api_keys(id) ON DELETE SET NULL;
comment on constraint api_keys_replaced_by_fkey on auth.api_keys is NULL;

alter table auth.api_keys add constraint api_keys_service_name_check CHECK (((char_length(service_name) >= 1) AND (char_length(service_name) <= 255)));
comment on constraint api_keys_service_name_check on auth.api_keys is NULL;

alter table auth.audit_chain_head add constraint audit_chain_head_pkey PRIMARY KEY (singleton);
comment on constraint audit_chain_head_pkey on auth.audit_chain_head is NULL;

alter table auth.audit_chain_head add constraint audit_chain_head_singleton_check CHECK (singleton);
comment on constraint audit_chain_head_singleton_check on auth.audit_chain_head is NULL;

alter table auth.audit_logs add constraint audit_logs_action_check CHECK ((action <> ''::text));
comment on constraint audit_logs_action_check on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_actor_type_check CHECK ((actor_type = ANY (ARRAY['user'::text, 'service'::text, 'database'::text])));
comment on constraint audit_logs_actor_type_check on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_chain_format_check CHECK ((chain_format = ANY (ARRAY[1, 2])));
comment on constraint audit_logs_chain_format_check on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_detail_check CHECK ((jsonb_typeof(detail) = 'object'::text));
comment on constraint audit_logs_detail_check on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_event_type_check CHECK ((event_type <> ''::text));
comment on constraint audit_logs_event_type_check on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_hash_check CHECK ((hash ~ '^[0-9a-f]{64}$'::text));
comment on constraint audit_logs_hash_check on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_pkey PRIMARY KEY (id, created_at);
comment on constraint audit_logs_pkey on auth.audit_logs is NULL;

alter table auth.audit_logs add constraint audit_logs_previous_hash_check CHECK ((previous_hash ~ '^[0-9a-f]{64}$'::text));
comment on constraint audit_logs_previous_hash_check on auth.audit_logs is NULL;

alter table auth.job_runs add constraint job_runs_detail_check CHECK ((jsonb_typeof(detail) = 'object'::text));
comment on constraint job_runs_detail_check on auth.job_runs is NULL;

alter table auth.job_runs add constraint job_runs_job_check CHECK ((job = ANY (ARRAY['maintenance'::text, 'archive_export'::text, 'audit_verify'::text])));
comment on constraint job_runs_job_check on auth.job_runs is NULL;

alter table auth.job_runs add constraint job_runs_pkey PRIMARY KEY (id);
comment on constraint job_runs_pkey on auth.job_runs is NULL;

alter table auth.partition_policies add constraint partition_policies_granularity_check CHECK ((granularity = ANY (ARRAY['day'::text, 'month'::text])));
comment on constraint partition_policies_granularity_check on auth.partition_policies is NULL;

alter table auth.partition_policies add constraint partition_policies_pkey PRIMARY KEY (table_name);
comment on constraint partition_policies_pkey on auth.partition_policies is NULL;

alter table auth.partition_policies add constraint partition_policies_premake_check CHECK ((premake >= '00:00:00'::interval));
comment on constraint partition_policies_premake_check on auth.partition_policies is NULL;

alter table auth.partition_policies add constraint partition_policies_retention_check CHECK ((retention > '00:00:00'::interval));
comment on constraint partition_policies_retention_check on auth.partition_policies is NULL;

alter table auth.partition_policies add constraint partition_policies_table_name_check CHECK ((table_name = ANY (ARRAY['audit_logs'::text, 'security_events'::text])));
comment on constraint partition_policies_table_name_check on auth.partition_policies is NULL;

alter table auth.permissions add constraint permissions_pkey PRIMARY KEY (id);
comment on constraint permissions_pkey on auth.permissions is NULL;

alter table auth.permissions add constraint permissions_resource_action_key UNIQUE (resource, action);
comment on constraint permissions_resource_action_key on auth.permissions is NULL;

alter table auth.permissions add constraint permissions_resource_check CHECK ((resource ~ '^[a-z][a-z0-9_]{0,62}$'::text));
comment on constraint permissions_resource_check on auth.permissions is NULL;

alter table auth.role_permissions add constraint role_permissions_permission_id_fkey FOREIGN KEY (permission_id) REFERENCES auth.permissions(id) ON DELETE CASCADE;
comment on constraint role_permissions_permission_id_fkey on auth.role_permissions is NULL;

alter table auth.role_permissions add constraint role_permissions_pkey PRIMARY KEY (role_id, permission_id);
comment on constraint role_permissions_pkey on auth.role_permissions is NULL;

alter table auth.role_permissions add constraint role_permissions_role_id_fkey FOREIGN KEY (role_id) REFERENCES auth.roles(id) ON DELETE CASCADE;
comment on constraint role_permissions_role_id_fkey on auth.role_permissions is NULL;

alter table auth.roles add constraint roles_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text));
comment on constraint roles_name_check on auth.roles is NULL;

alter table auth.roles add constraint roles_name_key UNIQUE (name);
comment on constraint roles_name_key on auth.roles is NULL;

alter table auth.roles add constraint roles_pkey PRIMARY KEY (id);
comment on constraint roles_pkey on auth.roles is NULL;

alter table auth.security_events add constraint security_events_detail_check CHECK ((jsonb_typeof(detail) = 'object'::text));
comment on constraint security_events_detail_check on auth.security_events is NULL;

alter table auth.security_events add constraint security_events_pkey PRIMARY KEY (id, created_at);
comment on constraint security_events_pkey on auth.security_events is NULL;

alter table auth.security_events add constraint security_events_type_check CHECK ((type ~ '^[A-Z][A-Z0-9_]*$'::text));
comment on constraint security_events_type_check on auth.security_events is NULL;

alter table auth.user_roles add constraint user_roles_assigned_by_fkey FOREIGN KEY (assigned_by) REFERENCES auth.users(id) ON DELETE SET NULL;
comment on constraint user_roles_assigned_by_fkey on auth.user_roles is NULL;

alter table auth.user_roles add constraint user_roles_pkey PRIMARY KEY (user_id, role_id);
comment on constraint user_roles_pkey on auth.user_roles is NULL;

alter table auth.user_roles add constraint user_roles_role_id_fkey FOREIGN KEY (role_id) REFERENCES auth.roles(id) ON DELETE CASCADE;
comment on constraint user_roles_role_id_fkey on auth.user_roles is NULL;

alter table auth.user_roles add constraint user_roles_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
comment on constraint user_roles_user_id_fkey on auth.user_roles is NULL;

alter table auth.users add constraint users_display_name_check CHECK ((char_length(display_name) <= 255));
comment on constraint users_display_name_check on auth.users is NULL;

alter table auth.users add constraint users_email_check CHECK (((email ~ '^[^@\s]+@[^@\s]+$'::text) AND (char_length(email) <= 320)));
comment on constraint users_email_check on auth.users is NULL;

alter table auth.users add constraint users_keycloak_sub_check CHECK (((keycloak_sub <> ''::text) AND (char_length(keycloak_sub) <= 255)));
comment on constraint users_keycloak_sub_check on auth.users is NULL;

alter table auth.users add constraint users_keycloak_sub_key UNIQUE (keycloak_sub);
comment on constraint users_keycloak_sub_key on auth.users is NULL;

alter table auth.users add constraint users_pkey PRIMARY KEY (id);
comment on constraint users_pkey on auth.users is NULL;

alter table auth.users add constraint users_username_check CHECK ((username ~ '^\S{1,255}$'::text));
comment on constraint users_username_check on auth.users is NULL;

-- indexes

CREATE INDEX api_keys_created_by_idx ON auth.api_keys USING btree (created_by);
CREATE INDEX api_keys_issued_by_key_idx ON auth.api_keys USING btree (issued_by_key);
CREATE INDEX api_keys_key_prefix_idx ON auth.api_keys USING btree (key_prefix);
CREATE INDEX api_keys_replaced_by_idx ON auth.api_keys USING btree (replaced_by);
CREATE INDEX audit_logs_anchor_idx ON ONLY auth.audit_logs USING btree (seq) WHERE (event_type = 'AUDIT_CHAIN'::text);
CREATE INDEX audit_logs_created_at_idx ON ONLY auth.audit_logs USING btree (created_at DESC);
CREATE INDEX audit_logs_event_type_idx ON ONLY auth.audit_logs USING btree (event_type, created_at DESC);
CREATE INDEX audit_logs_resource_idx ON ONLY auth.audit_logs USING btree (resource, resource_id);
CREATE INDEX audit_logs_seq_idx ON ONLY auth.audit_logs USING btree (seq);
CREATE INDEX audit_logs_trace_id_idx ON ONLY auth.audit_logs USING btree (trace_id) WHERE (trace_id IS NOT NULL);
CREATE INDEX audit_logs_unchained_idx ON ONLY auth.audit_logs USING btree (id) WHERE (seq IS NULL);
CREATE INDEX audit_logs_user_id_idx ON ONLY auth.audit_logs USING btree (user_id, created_at DESC);
CREATE INDEX job_runs_job_succeeded_idx ON auth.job_runs USING btree (job, finished_at DESC) WHERE succeeded;
CREATE INDEX role_permissions_permission_id_idx ON auth.role_permissions USING btree (permission_id);
CREATE INDEX security_events_created_at_idx ON ONLY auth.security_events USING btree (created_at DESC);
CREATE INDEX security_events_ip_address_idx ON ONLY auth.security_events USING btree (ip_address, created_at DESC);
CREATE INDEX security_events_type_idx ON ONLY auth.security_events USING btree (type, created_at DESC);
CREATE INDEX user_roles_assigned_by_idx ON auth.user_roles USING btree (assigned_by);
CREATE INDEX user_roles_role_id_idx ON auth.user_roles USING btree (role_id);
CREATE UNIQUE INDEX users_email_lower_key ON auth.users USING btree (lower(email));
CREATE UNIQUE INDEX users_username_lower_key ON auth.users USING btree (lower(username));

-- functions

CREATE OR REPLACE FUNCTION archive.archived_tables()
 RETURNS TABLE(table_name text, row_count bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
begin
  for table_name in
    select c.relname from pg_class c
     where c.relnamespace = 'archive'::regnamespace and c.relkind = 'r' and c.relname <> 'exports'
     order by 1
  loop
    execute format('select count(*) from archive.%I', table_name) into row_count;
    return next;
  end loop;
end;
$function$;
comment on function archive.archived_tables() is 'Every detached partition waiting in schema archive, with its row count.';

CREATE OR REPLACE FUNCTION archive.get_archive_status()
 RETURNS TABLE(table_name text, row_count bigint, exported boolean, location text, verified_at timestamp with time zone)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select t.table_name, t.row_count, e.table_name is not null, e.location, e.verified_at
    from archive.archived_tables() t
    left join archive.exports e on e.table_name = t.table_name and e.row_count = t.row_count
   order by 1
$function$;
comment on function archive.get_archive_status() is 'Every table waiting in schema archive, its size, and whether a verified export of it exists.';

CREATE OR REPLACE FUNCTION archive.process_archived_partitions(dry_run boolean DEFAULT true)
 RETURNS TABLE(table_name text, action text, detail text)
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_table record;
  v_export archive.exports;
begin
  for v_table in select * from archive.archived_tables() loop
    table_name := v_table.table_name;
    select * into v_export from archive.exports e where e.table_name = v_table.table_name;
    if v_export.table_name is null then
      action := 'wait';
      detail := format('%s rows, not exported yet', v_table.row_count);
    elsif v_export.row_count <> v_table.row_count then
      action := 'wait';
      detail := format('%s rows, but the export at %s holds %s: export again', v_table.row_count, v_export.location, v_export.row_count);
    else
      action := 'drop';
      detail := format('%s rows exported to %s (sha256 %s)', v_table.row_count, v_export.location, v_export.sha256);
      if not dry_run then
        execute format('drop table archive.%I', v_table.table_name);
      end if;
    end if;
    return next;
  end loop;
end;
$function$;
comment on function archive.process_archived_partitions(dry_run boolean) is 'Drops each archived table whose verified export matches it; reports the others as waiting. With dry_run (the default) it only reports.';

CREATE OR REPLACE FUNCTION archive.record_export(table_name text, location text, row_count bigint, sha256 text, bytes bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_actual bigint;
begin
  if to_regclass(format('archive.%I', table_name)) is null then
    raise exception 'table_name: no table archive.%', table_name using errcode = '22023';
  end if;
  execute format('select count(*) from archive.%I', table_name) into v_actual;
  if v_actual <> row_count then
    raise exception 'row_count: archive.% holds % rows, the export says %', table_name, v_actual, row_count
      using errcode = '22023';
  end if;
  insert into archive.exports as e (table_name, location, row_count, sha256, bytes)
  values (table_name, location, row_count, sha256, bytes)
  on conflict on constraint exports_pkey do update
     set location = excluded.location, row_count = excluded.row_count, sha256 = excluded.sha256,
         bytes = excluded.bytes, verified_at = now();
end;
$function$;
comment on function archive.record_export(table_name text, location text, row_count bigint, sha256 text, bytes bigint) is 'Records that an archived table was exported and verified (its row count is checked against the table itself).';

CREATE OR REPLACE FUNCTION auth."current_user"()
 RETURNS auth.users
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select u.* from auth.users u where u.id = auth.current_user_id()
$function$;
comment on function auth."current_user"() is 'The profile of the signed-in user, or null when anonymous. Definer so that it answers anonymous callers too; it only ever returns the caller''s own row.';

CREATE OR REPLACE FUNCTION auth._issue_api_key(name text, service_name text, tier auth.tier, permissions text[], expires_at timestamp with time zone)
 RETURNS auth.issued_api_key
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_wanted text;
  v_key text := auth.new_api_key_secret();
  v_row auth.api_keys;
begin
  if tier is null then
    raise exception 'tier: required' using errcode = '22023';
  end if;
  if expires_at is not null and not isfinite(expires_at) then
    raise exception 'expiresAt: must be a point in time, not %', expires_at using errcode = '22023';
  end if;
  if expires_at is not null and expires_at <= now() then
    raise exception 'expiresAt: must be in the future' using errcode = '22023';
  end if;
  foreach v_wanted in array coalesce(permissions, '{}') loop
    if v_wanted is null or v_wanted !~ '^[a-z][a-z0-9_]*:(read|write|delete|admin)$' then
      raise exception 'permissions: "%" is not resource:action (action one of read, write, delete, admin)', v_wanted
        using errcode = '22023';
    end if;
  end loop;
  insert into auth.api_keys (name, key_hash, key_prefix, service_name, tier, permissions, expires_at)
  values (
    name,
    sha256(convert_to(v_key, 'UTF8')),
    left(v_key, 10),
    service_name,
    tier,
    coalesce((select jsonb_agg(distinct p order by p) from unnest(permissions) as p), '[]'),
    expires_at
  )
  returning * into v_row;
  return row(v_row.id, v_key, v_row.key_prefix, v_row.name, v_row.service_name, v_row.tier, v_row.permissions, v_row.expires_at)::auth.issued_api_key;
end;
$function$;
comment on function auth._issue_api_key(name text, service_name text, tier auth.tier, permissions text[], expires_at timestamp with time zone) is '@behavior -*
Issues a key after checking the form of its input; the api_keys trigger decides what it may hold. Operators (npm run api-key) call it as the schema owner.';

CREATE OR REPLACE FUNCTION auth._revoke_api_key(id uuid)
 RETURNS auth.api_keys
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_row auth.api_keys;
begin
  update auth.api_keys k set is_active = false, revoked_at = now()
   where k.id = _revoke_api_key.id and k.is_active
  returning * into v_row;
  if v_row is null then
    raise exception 'id: no active API key %', id using errcode = '22023';
  end if;
  return v_row;
end;
$function$;
comment on function auth._revoke_api_key(id uuid) is '@behavior -*
Revokes a key at once.';

CREATE OR REPLACE FUNCTION auth._rotate_api_key(id uuid, grace_seconds integer)
 RETURNS auth.issued_api_key
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_old auth.api_keys;
  v_new auth.issued_api_key;
  v_grace_end timestamptz := now() + make_interval(secs => grace_seconds);
begin
  if grace_seconds is null or grace_seconds < 0 or grace_seconds > 30 * 86400 then
    raise exception 'graceSeconds: expected 0 to 2592000 (30 days), got %', grace_seconds using errcode = '22023';
  end if;
  select * into v_old from auth.api_keys k where k.id = _rotate_api_key.id for update;
  if v_old is null or not v_old.is_active or v_old.revoked_at is not null
     or v_old.expires_at <= now() then
    raise exception 'id: no active API key % to rotate', id using errcode = '22023';
  end if;
  v_new := auth._issue_api_key(
    v_old.name, v_old.service_name, v_old.tier,
    array(select jsonb_array_elements_text(v_old.permissions)),
    v_old.expires_at
  );
  update auth.api_keys k
     set revoked_at = v_grace_end,
         expires_at = least(coalesce(k.expires_at, v_grace_end), v_grace_end),
         is_active = grace_seconds > 0,
         replaced_by = v_new.key_id
   where k.id = v_old.id;
  if not auth.acting_for_a_request() or auth.current_api_key_id() = v_old.id then
    update auth.api_keys k
       set issuer = v_old.issuer, created_by = v_old.created_by, issued_by_key = v_old.issued_by_key
     where k.id = v_new.key_id;
  end if;
  return v_new;
end;
$function$;
comment on function auth._rotate_api_key(id uuid, grace_seconds integer) is '@behavior -*
Issues a new secret with the same name, service, tier, permissions and expiry. Its issuer is the caller (who must hold every permission), except when a key rotates itself or an operator rotates a key: then it keeps the original issuer. The old key keeps working for grace_seconds, then expires and is refused as REVOKED.';

CREATE OR REPLACE FUNCTION auth.acting_for_a_request()
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select current_setting('role') in (':AUTH_ANONYMOUS', ':AUTH_USER', ':AUTH_SERVICE')
      or session_user = ':AUTH_AUTHENTICATOR'
$function$;
comment on function auth.acting_for_a_request() is '@behavior -*
Whether this statement runs for a request (the server''s authenticator, or any session that switched to a request role), as opposed to an operator connected as the schema owner. SECURITY DEFINER does not change the `role` setting, so this holds inside definer functions too.';

CREATE OR REPLACE FUNCTION auth.api_key_standing(k auth.api_keys)
 RETURNS auth.api_key_standing
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_key auth.api_keys := k;
  v_held text[] := auth.implied_permissions(array(select jsonb_array_elements_text(k.permissions)));
  v_issuer_held text[];
begin
  -- Walk up the issuers: each narrows what the key holds, and a revoked or
  -- expired issuing key ends every key it issued, unless it was rotated: an
  -- issuer lives on in the key that replaced it. Cycles cannot exist (a key
  -- is issued by one that existed before it); the bound is belt and braces.
  for depth in 1..64 loop
    if not v_key.is_active or v_key.revoked_at <= now() then
      if depth = 1 or v_key.replaced_by is null then
        return row('REVOKED', '{}')::auth.api_key_standing;
      end if;
      select * into v_key from auth.api_keys i where i.id = v_key.replaced_by;
      if not found then
        return row('REVOKED', '{}')::auth.api_key_standing;
      end if;
      continue;
    elsif v_key.expires_at <= now() then
      return row('EXPIRED', '{}')::auth.api_key_standing;
    end if;
    if depth > 1 then
      v_held := array(
        select h from unnest(v_held) as h
         where h = any (auth.implied_permissions(array(select jsonb_array_elements_text(v_key.permissions))))
         order by 1
      );
    end if;
    case v_key.issuer
      when 'operator' then
        return row('VALID', v_held)::auth.api_key_standing;
      when 'user' then
        select case when u.status = 'active' then auth.user_role_permissions(u.id) else '{}' end
          into v_issuer_held
          from auth.users u where u.id = v_key.created_by;
        return row('VALID', array(
          select h from unnest(v_held) as h where h = any (coalesce(v_issuer_held, '{}')) order by 1
        ))::auth.api_key_standing;
      else
        select * into v_key from auth.api_keys i where i.id = v_key.issued_by_key;
        if not found then
          return row('REVOKED', '{}')::auth.api_key_standing;
        end if;
    end case;
  end loop;
  return row('REVOKED', '{}')::auth.api_key_standing;
end;
$function$;
comment on function auth.api_key_standing(k auth.api_keys) is '@behavior -*
What a key holds at the moment of use: its own permissions narrowed by its issuer''s current ones (a user''s roles while active, nothing once suspended or deleted; an issuing key''s standing, recursively). The one place that decides derived credentials.';

CREATE OR REPLACE FUNCTION auth.assign_role(user_id uuid, role_name text)
 RETURNS auth.user_roles
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_role_id uuid;
  v_assignment auth.user_roles;
begin
  perform auth.require_permission('users', 'admin', 'assigning a role');
  select r.id into v_role_id from auth.roles r where r.name = role_name;
  if v_role_id is null then
    raise exception 'roleName: no role named "%"', role_name using errcode = '22023';
  end if;
  if not exists (select 1 from auth.users u where u.id = assign_role.user_id) then
    raise exception 'userId: no user with id %', user_id using errcode = '22023';
  end if;
  insert into auth.user_roles (user_id, role_id) values (assign_role.user_id, v_role_id)
  on conflict do nothing
  returning * into v_assignment;
  if v_assignment is null then
    select * into v_assignment from auth.user_roles ur
     where ur.user_id = assign_role.user_id and ur.role_id = v_role_id;
  end if;
  return v_assignment;
end;
$function$;
comment on function auth.assign_role(user_id uuid, role_name text) is 'Gives a user a role (needs users:admin). Assigning a role the user already holds changes nothing.';

CREATE OR REPLACE FUNCTION auth.audit_actor(OUT user_id text, OUT actor_type text)
 RETURNS record
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select coalesce(
           nullif(current_setting('api_key.id', true), ''),
           nullif(current_setting('jwt.claims.sub', true), ''),
           session_user::text
         ),
         case
           when nullif(current_setting('api_key.id', true), '') is not null then 'service'
           when nullif(current_setting('jwt.claims.sub', true), '') is not null then 'user'
           else 'database'
         end
$function$;
comment on function auth.audit_actor(OUT user_id text, OUT actor_type text) is '@behavior -*
Who is acting: the API key id for services, the Keycloak sub for users, else the database role (migrations, operator CLIs).';

CREATE OR REPLACE FUNCTION auth.audit_chain_check(from_seq bigint, to_seq bigint, link_key bigint)
 RETURNS TABLE(row_count bigint, first_mismatch bigint, link_balance numeric)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
 SET client_encoding TO 'UTF8'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
begin
  return query
  select count(*),
         min(l.seq) filter (where l.hash is distinct from case l.chain_format
           when 2 then auth.audit_log_digest_v2(l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource,
             l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
           else auth.audit_log_digest(l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource,
             l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
         end),
         coalesce(sum(auth.audit_chain_link_term(link_key, l.seq, l.previous_hash)), 0)
           - coalesce(sum(auth.audit_chain_link_term(link_key, l.seq + 1, l.hash)), 0)
    from auth.audit_logs l
   where l.seq between from_seq and to_seq;
end;
$function$;
comment on function auth.audit_chain_check(from_seq bigint, to_seq bigint, link_key bigint) is '@behavior -*
One unordered pass over a seq range for verify_audit_chain: rows, the first hash that does not recompute, and the link balance under a key.';

CREATE OR REPLACE FUNCTION auth.audit_chain_contains(seq bigint, hash text)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if seq is null or hash is null then
    return false;
  end if;
  return exists (select 1 from auth.audit_logs l where l.seq = audit_chain_contains.seq and l.hash = audit_chain_contains.hash)
      or exists (select 1 from auth.audit_chain_detached_runs() r
                  where r.sound and r.last_seq = audit_chain_contains.seq and r.last_hash = audit_chain_contains.hash);
exception when others then
  return false; -- an anchor that does not read back proves nothing
end;
$function$;
comment on function auth.audit_chain_contains(seq bigint, hash text) is '@behavior -*
Whether a head saved earlier (seq and hash) is still part of the chain: a row, or the last row of a range an anchor lists as detached. A consistent rewrite of every row would not keep it.';

CREATE OR REPLACE FUNCTION auth.audit_chain_detached_runs(at_or_before bigint DEFAULT NULL::bigint)
 RETURNS TABLE(anchor_seq bigint, first_seq bigint, last_seq bigint, previous_hash text, last_hash text, last_created_at timestamp with time zone, sound boolean)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select a.seq, r.*
    from (
      select l.seq, l.detail from auth.audit_logs l
       where l.event_type = 'AUDIT_CHAIN'
         and l.seq <= coalesce(at_or_before, (select h.seq from auth.audit_chain_head h))
       order by l.seq desc
       limit 1
    ) a
    cross join lateral auth.audit_chain_runs(a.detail -> 'detached') r
$function$;
comment on function auth.audit_chain_detached_runs(at_or_before bigint) is '@behavior -*
The ranges listed by the latest anchor at or before a seq (default: the head): every range gone from the log at that point. Each anchor lists them all, so only the latest counts.';

CREATE OR REPLACE FUNCTION auth.audit_chain_detached_since(saved_seq bigint)
 RETURNS TABLE(first_seq bigint, last_seq bigint, last_created_at timestamp with time zone, retention interval, expired boolean)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_retention interval;
begin
  if saved_seq is null or saved_seq < 0 then
    raise exception 'saved_seq: expected a seq printed by an earlier verification, got %', saved_seq using errcode = '22023';
  end if;
  select p.retention into v_retention from auth.partition_policies p where p.table_name = 'audit_logs';
  -- Ranges the latest anchor lists that the anchor the saved head covers did
  -- not, as they are: rows that left the log since. The copy of each range's
  -- last row is proven by the chain, so its age is too.
  return query
  select n.first_seq, n.last_seq, n.last_created_at, v_retention,
         coalesce(n.last_created_at <= now() - v_retention, false)
    from auth.audit_chain_detached_runs() n
   where not exists (
     select 1 from auth.audit_chain_detached_runs(saved_seq) o
      where o.first_seq = n.first_seq and o.last_seq = n.last_seq
        and o.previous_hash = n.previous_hash and o.last_hash = n.last_hash
   )
   order by n.first_seq;
end;
$function$;
comment on function auth.audit_chain_detached_since(saved_seq bigint) is '@behavior -*
The seq ranges that left the audit log after a saved head (those the latest anchor lists and the anchor at or before that head did not), with when each range''s last row was created and whether that is longer ago than the retention of auth.partition_policies.';

CREATE OR REPLACE FUNCTION auth.audit_chain_first_break(from_seq bigint, to_seq bigint, anchor_hash text)
 RETURNS TABLE(seq bigint, why text)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
  select case when w.why = 'gap' then w.expected_seq else w.seq end, w.why
    from (
      select u.seq,
             coalesce(lag(u.last_seq) over w, from_seq - 1) + 1 as expected_seq,
             case
               when u.seq <> coalesce(lag(u.last_seq) over w, from_seq - 1) + 1 then 'gap'
               when u.previous_hash is distinct from coalesce(lag(u.hash) over w, anchor_hash) then 'broken link'
             end as why
        from (
          select l.seq, l.seq as last_seq, l.previous_hash, l.hash
            from auth.audit_logs l
           where l.seq between from_seq and to_seq
          union all
          select r.first_seq, r.last_seq, r.previous_hash, r.last_hash
            from auth.audit_chain_detached_runs() r
           where r.first_seq >= from_seq and r.last_seq <= to_seq
        ) u
      window w as (order by u.seq, u.last_seq)
    ) w
   where w.why is not null
   order by w.seq
   limit 1
$function$;
comment on function auth.audit_chain_first_break(from_seq bigint, to_seq bigint, anchor_hash text) is '@behavior -*
The first gap or broken link of a seq range, walking its rows and the detached ranges the latest anchor lists in order: run by verify_audit_chain only for a range that failed its single pass.';

CREATE OR REPLACE FUNCTION auth.audit_chain_link_term(link_key bigint, seq bigint, hash text)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select hashtextextended(coalesce(hash, ''), link_key # seq)
$function$;
comment on function auth.audit_chain_link_term(link_key bigint, seq bigint, hash text) is '@behavior -*
A hash at a seq position under a verification''s key: one term of the link balance of audit_chain_check.';

CREATE OR REPLACE FUNCTION auth.audit_chain_runs(detached jsonb)
 RETURNS TABLE(first_seq bigint, last_seq bigint, previous_hash text, last_hash text, last_created_at timestamp with time zone, sound boolean)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
 SET client_encoding TO 'UTF8'
AS $function$
  select r.first_seq,
         r.last_seq,
         r.previous_hash,
         coalesce(l.hash, r.last_hash),
         l.created_at,
         coalesce(
           r.first_seq >= 1
           and r.last_seq >= r.first_seq
           and r.previous_hash ~ '^[0-9a-f]{64}$'
           and coalesce(l.hash, r.last_hash) ~ '^[0-9a-f]{64}$'
           and (r.last_row is null or (
             l.seq = r.last_seq
             and (r.first_seq < r.last_seq or l.previous_hash = r.previous_hash)
             and l.hash = case l.chain_format
               when 2 then auth.audit_log_digest_v2(l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource,
                 l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
               when 1 then auth.audit_log_digest(l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource,
                 l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
             end
           )),
           false
         )
    from jsonb_to_recordset(case when jsonb_typeof(detached) = 'array' then detached else '[]' end)
           as r(first_seq bigint, last_seq bigint, previous_hash text, last_hash text, last_row jsonb)
    left join lateral jsonb_populate_record(null::auth.audit_logs, r.last_row) l on r.last_row is not null
$function$;
comment on function auth.audit_chain_runs(detached jsonb) is '@behavior -*
The seq ranges an anchor lists as gone from the log: each with the previous_hash of its first row, the hash of its last, when its last row was created (from the copy of that row; null for checkpoints adopted from before anchors existed), and whether the entry is sound (the copy recomputes to its hash in its own chain format and sits at the range''s end). Raises on an entry of the wrong shape.';

CREATE OR REPLACE FUNCTION auth.audit_log_canonical(r auth.audit_logs)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select jsonb_build_array(
    r.seq, r.id, r.event_type, r.action, r.resource, r.resource_id, r.result, r.detail,
    r.user_id, r.actor_type, host(r.ip_address), r.user_agent, r.trace_id,
    to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  )::text
$function$;
comment on function auth.audit_log_canonical(r auth.audit_logs) is '@behavior -*
Every column of an audit row except the chain hashes, in a fixed order and format whatever the session''s settings.';

CREATE OR REPLACE FUNCTION auth.audit_log_digest(previous_hash text, seq bigint, id bigint, event_type text, action text, resource text, resource_id text, result auth.audit_result, detail jsonb, user_id text, actor_type text, ip_address inet, user_agent text, trace_id text, created_at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select encode(sha256(convert_to(previous_hash || jsonb_build_array(
    seq, id, event_type, action, resource, resource_id, result, detail,
    user_id, actor_type, host(ip_address), user_agent, trace_id,
    to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  )::text, 'UTF8')), 'hex')
$function$;
comment on function auth.audit_log_digest(previous_hash text, seq bigint, id bigint, event_type text, action text, resource text, resource_id text, result auth.audit_result, detail jsonb, user_id text, actor_type text, ip_address inet, user_agent text, trace_id text, created_at timestamp with time zone) is '@behavior -*
The chain hash of an audit row from its columns: SHA-256 of the previous hash and the row''s canonical form (every column but the hashes, in a fixed order and format). Inlinable, so verification hashes at scan speed.';

CREATE OR REPLACE FUNCTION auth.audit_log_digest_v2(previous_hash text, seq bigint, id bigint, event_type text, action text, resource text, resource_id text, result auth.audit_result, detail jsonb, user_id text, actor_type text, ip_address inet, user_agent text, trace_id text, created_at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select encode(sha256(record_send(row(
    previous_hash, seq, id, event_type, action, resource, resource_id,
    case result
      when 'SUCCESS' then 'SUCCESS'
      when 'FAILURE' then 'FAILURE'
      when 'DENIED' then 'DENIED'
      else result::text
    end,
    detail, user_id, actor_type, ip_address, user_agent, trace_id, created_at
  ))), 'hex')
$function$;
comment on function auth.audit_log_digest_v2(previous_hash text, seq bigint, id bigint, event_type text, action text, resource text, resource_id text, result auth.audit_result, detail jsonb, user_id text, actor_type text, ip_address inet, user_agent text, trace_id text, created_at timestamp with time zone) is '@behavior -*
The format 2 chain hash of an audit row: SHA-256 of the binary send form of the previous hash and every other column (the result as text, so no database-specific type id enters it). Text is sent in the client encoding, so callers run with client_encoding UTF8 (verify_audit_chain and chain_audit_logs set it). Stable, not immutable: it depends on client_encoding, and record_send is stable, which an immutable function could not inline.';

CREATE OR REPLACE FUNCTION auth.caller_held_permissions()
 RETURNS text[]
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select coalesce(array_agg(resource || ':' || action order by 1), '{}') from auth.current_permissions()
$function$;
comment on function auth.caller_held_permissions() is '@behavior -*
What the caller (a user through their roles, or a key through its verified permissions) holds now, admin expanded.';

CREATE OR REPLACE FUNCTION auth.chain_audit_logs(max_rows integer DEFAULT 10000)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
 SET client_encoding TO 'UTF8'
 SET enable_sort TO 'off'
AS $function$
declare
  v_head auth.audit_chain_head;
  v_row auth.audit_logs;
  v_ids bigint[] := '{}';
  v_created timestamptz[] := '{}';
  v_seqs bigint[] := '{}';
  v_previous text[] := '{}';
  v_hashes text[] := '{}';
  v_total integer := 0;
begin
  if max_rows is null or max_rows < 1 or max_rows > 1000000 then
    raise exception 'max_rows: expected 1 to 1000000, got %', max_rows using errcode = '22023';
  end if;
  -- One chainer at a time; a second one has nothing to do.
  if not pg_try_advisory_xact_lock(hashtext('auth.audit_chain')) then
    return 0;
  end if;
  select * into v_head from auth.audit_chain_head for update;
  perform set_config('auth.audit_chaining', 'on', true);
  for v_row in select * from auth.audit_logs where seq is null order by id limit max_rows loop
    v_row.seq := v_head.seq + 1;
    v_row.previous_hash := v_head.hash;
    v_head.seq := v_row.seq;
    v_head.hash := auth.audit_log_digest_v2(v_row.previous_hash, v_row.seq, v_row.id, v_row.event_type, v_row.action,
      v_row.resource, v_row.resource_id, v_row.result, v_row.detail, v_row.user_id, v_row.actor_type,
      v_row.ip_address, v_row.user_agent, v_row.trace_id, v_row.created_at);
    v_ids := v_ids || v_row.id;
    v_created := v_created || v_row.created_at;
    v_seqs := v_seqs || v_row.seq;
    v_previous := v_previous || v_row.previous_hash;
    v_hashes := v_hashes || v_head.hash;
    v_total := v_total + 1;
    if cardinality(v_ids) = 1000 then
      update auth.audit_logs l
         set seq = c.seq, previous_hash = c.previous_hash, hash = c.hash, chain_format = 2
        from unnest(v_ids, v_created, v_seqs, v_previous, v_hashes) as c(id, created_at, seq, previous_hash, hash)
       where l.id = c.id and l.created_at = c.created_at;
      v_ids := '{}'; v_created := '{}'; v_seqs := '{}'; v_previous := '{}'; v_hashes := '{}';
    end if;
  end loop;
  update auth.audit_logs l
     set seq = c.seq, previous_hash = c.previous_hash, hash = c.hash, chain_format = 2
    from unnest(v_ids, v_created, v_seqs, v_previous, v_hashes) as c(id, created_at, seq, previous_hash, hash)
   where l.id = c.id and l.created_at = c.created_at;
  perform set_config('auth.audit_chaining', 'off', true);
  if v_total > 0 then
    update auth.audit_chain_head set seq = v_head.seq, hash = v_head.hash;
  end if;
  return v_total;
end;
$function$;
comment on function auth.chain_audit_logs(max_rows integer) is '@behavior -*
Links up to max_rows committed, unlinked audit rows into the hash chain, in insertion order. Returns how many it linked; 0 when another chainer holds the lock.';

CREATE OR REPLACE FUNCTION auth.create_api_key(name text, service_name text, tier auth.tier DEFAULT 'service'::auth.tier, permissions text[] DEFAULT '{}'::text[], expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS auth.issued_api_key
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('api_keys', 'write', 'issuing an API key');
  return auth._issue_api_key(name, service_name, tier, permissions, expires_at);
end;
$function$;
comment on function auth.create_api_key(name text, service_name text, tier auth.tier, permissions text[], expires_at timestamp with time zone) is 'Issues an API key for a service (needs api_keys:write, and every permission given to the key). The returned `key` is shown once and never stored. Definer: callers may not write api_keys directly.';

CREATE OR REPLACE FUNCTION auth.create_permission(resource text, action auth.permission_action, tier auth.tier DEFAULT 'business'::auth.tier, description text DEFAULT NULL::text)
 RETURNS auth.permissions
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_permission auth.permissions;
begin
  perform auth.require_permission('auth_config', 'write', 'creating a permission');
  insert into auth.permissions (resource, action, tier, description) values (resource, action, tier, description)
  returning * into v_permission;
  return v_permission;
end;
$function$;
comment on function auth.create_permission(resource text, action auth.permission_action, tier auth.tier, description text) is 'Adds a (resource, action) permission of a tier to the catalogue (needs auth_config:write).';

CREATE OR REPLACE FUNCTION auth.create_role(name text, tier auth.tier, description text DEFAULT NULL::text)
 RETURNS auth.roles
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_role auth.roles;
begin
  perform auth.require_permission('auth_config', 'write', 'creating a role');
  insert into auth.roles (name, tier, description) values (name, tier, description)
  returning * into v_role;
  return v_role;
end;
$function$;
comment on function auth.create_role(name text, tier auth.tier, description text) is 'Creates a role (needs auth_config:write).';

CREATE OR REPLACE FUNCTION auth.current_api_key_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select nullif(current_setting('api_key.id', true), '')::uuid
$function$;
comment on function auth.current_api_key_id() is '@behavior -*
The id of the API key this request was authenticated with, or null.';

CREATE OR REPLACE FUNCTION auth.current_permissions()
 RETURNS TABLE(resource text, action auth.permission_action)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with held as (
    select split_part(granted, ':', 1) as resource, split_part(granted, ':', 2)::auth.permission_action as action
      from jsonb_array_elements_text(
        coalesce(nullif(current_setting('api_key.permissions', true), ''), '[]')::jsonb
      ) as granted
     where auth.current_api_key_id() is not null
    union all
    select p.resource, p.action
      from auth.users u
      join auth.user_roles ur on ur.user_id = u.id
      join auth.role_permissions rp on rp.role_id = ur.role_id
      join auth.permissions p on p.id = rp.permission_id
     where auth.current_api_key_id() is null
       and u.keycloak_sub = nullif(current_setting('jwt.claims.sub', true), '')
       and u.status = 'active'
  )
  select distinct held.resource, implied.action
    from held
    cross join lateral unnest(
      case when held.action = 'admin' then enum_range(null::auth.permission_action) else array[held.action] end
    ) as implied(action)
   order by 1, 2
$function$;
comment on function auth.current_permissions() is 'Every (resource, action) the caller holds, with `admin` expanded to the actions it implies.';

CREATE OR REPLACE FUNCTION auth.current_user_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select u.id from auth.users u
   where u.keycloak_sub = nullif(current_setting('jwt.claims.sub', true), '')
$function$;
comment on function auth.current_user_id() is '@behavior -*
The auth.users id of the caller''s Keycloak sub, or null. Definer: it must find the row before any policy lets the caller see it.';

CREATE OR REPLACE FUNCTION auth.data_health(at timestamp with time zone DEFAULT now())
 RETURNS TABLE(check_name text, value double precision, detail text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  -- Days until the last premade partition of each managed table runs out.
  select 'partition_runway:' || p.table_name,
         extract(epoch from (max(b.upper_bound) - at)) / 86400,
         format('last partition ends %s', max(b.upper_bound))
    from auth.partition_policies p
    cross join lateral auth.partition_bounds(format('auth.%I', p.table_name)::regclass) b
   where not b.is_default
   group by p.table_name
  union all
  -- Hours since each job last succeeded (null: never).
  select 'last_success:' || j.job,
         extract(epoch from (at - (select max(r.finished_at) from auth.job_runs r where r.job = j.job and r.succeeded))) / 3600,
         null
    from unnest(array['maintenance', 'archive_export', 'audit_verify']) as j(job)
  union all
  select 'archive_waiting', (select count(*) from archive.archived_tables()), null
$function$;
comment on function auth.data_health(at timestamp with time zone) is '@behavior -*
The facts /health reports about the data: partition runway in days, hours since each job''s last success, tables waiting in archive.';

CREATE OR REPLACE FUNCTION auth.delete_role(name text)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('auth_config', 'delete', 'deleting a role');
  delete from auth.roles r where r.name = delete_role.name;
  return found;
end;
$function$;
comment on function auth.delete_role(name text) is 'Deletes a role and its assignments (needs auth_config:delete).';

CREATE OR REPLACE FUNCTION auth.delete_user(user_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('users', 'delete', 'deleting a user');
  delete from auth.users u where u.id = delete_user.user_id;
  return found;
end;
$function$;
comment on function auth.delete_user(user_id uuid) is 'Deletes a user profile and its role assignments (needs users:delete).';

CREATE OR REPLACE FUNCTION auth.detach_audit_log_partition(partition regclass)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_name text;
  v_bounds record;
  v_retention interval;
  v_island record;
  v_previous_hash text;
  v_last_row jsonb;
  v_runs jsonb := '[]';
  v_rows bigint := 0;
  v_anchor record;
  v_detached jsonb := '[]';
  v_current jsonb;
  v_run jsonb;
  v_actor record;
  v_unlinked boolean;
begin
  if partition is null then
    raise exception 'partition: expected a partition of auth.audit_logs, got null' using errcode = '22004';
  end if;
  if not exists (select 1 from pg_inherits where inhrelid = partition and inhparent = 'auth.audit_logs'::regclass) then
    raise exception 'partition: % is not a partition of auth.audit_logs', partition using errcode = '22023';
  end if;
  v_name := partition::text;
  select b.lower_bound, b.upper_bound, b.is_default into v_bounds
    from auth.partition_bounds('auth.audit_logs') b where b.partition = detach_audit_log_partition.partition;
  if v_bounds.is_default or v_bounds.upper_bound is null then
    raise exception 'partition: % is the default partition; maintenance moves its rows to their own partitions', v_name
      using errcode = '22023';
  end if;
  -- Rows leave only after their retention, in real time: never the current month, never a later one.
  if v_bounds.upper_bound > now() then
    raise exception 'partition: % holds % (until %), which has not ended: the current month and later ones are never detached',
      v_name, case when v_bounds.lower_bound <= now() then 'the current month' else 'a future month' end, v_bounds.upper_bound
      using errcode = '22023';
  end if;
  select p.retention into v_retention from auth.partition_policies p where p.table_name = 'audit_logs';
  if v_retention is null then
    raise exception 'auth.partition_policies has no retention for audit_logs' using errcode = '55000';
  end if;
  if v_bounds.upper_bound > now() - v_retention then
    raise exception 'partition: % ends %, within the % retention of auth.partition_policies; it may be detached from %',
      v_name, v_bounds.upper_bound, v_retention, v_bounds.upper_bound + v_retention
      using errcode = '22023';
  end if;

  -- No chainer links, and nobody writes to the partition, while its ranges are read.
  perform pg_advisory_xact_lock(hashtext('auth.audit_chain'));
  execute format('lock table %s in access exclusive mode', partition);
  perform auth.chain_audit_logs(1000000);
  execute format('select exists (select 1 from %s where seq is null)', partition) into v_unlinked;
  if v_unlinked then
    raise exception 'partition: % still holds unlinked rows', v_name using errcode = '55000';
  end if;

  -- The partition's rows as ranges of consecutive seqs (usually one), each
  -- with the previous_hash of its first row and a copy of its last.
  for v_island in execute format(
    'select min(seq) as first_seq, max(seq) as last_seq, count(*) as n
       from (select seq, seq - row_number() over (order by seq) as island from %s) p
      group by island order by 1', partition)
  loop
    execute format('select previous_hash from %s where seq = $1', partition) into v_previous_hash using v_island.first_seq;
    execute format('select to_jsonb(p) from %s p where seq = $1', partition) into v_last_row using v_island.last_seq;
    v_runs := v_runs || jsonb_build_array(jsonb_build_object(
      'first_seq', v_island.first_seq, 'last_seq', v_island.last_seq,
      'previous_hash', v_previous_hash, 'last_row', v_last_row));
    v_rows := v_rows + v_island.n;
  end loop;

  -- Every range gone so far: the latest anchor's list with these merged in,
  -- neighbouring ranges joined (so the list stays short).
  select l.seq, l.detail -> 'detached' as detached into v_anchor
    from auth.audit_logs l where l.event_type = 'AUDIT_CHAIN' and l.seq is not null
   order by l.seq desc limit 1;
  if v_anchor.seq is not null
     and not coalesce((select bool_and(r.sound) from auth.audit_chain_runs(v_anchor.detached) r), true) then
    raise exception 'the anchor at seq % does not read back: verify the audit chain before detaching', v_anchor.seq
      using errcode = '55000';
  end if;
  for v_run in
    select e.value from jsonb_array_elements(coalesce(v_anchor.detached, '[]') || v_runs) e
     order by (e.value ->> 'first_seq')::bigint
  loop
    if v_current is not null and (v_current ->> 'last_seq')::bigint >= (v_run ->> 'first_seq')::bigint then
      raise exception 'partition: % holds seq %, which the anchor at seq % lists as gone: verify the audit chain',
        v_name, v_run ->> 'first_seq', v_anchor.seq using errcode = '55000';
    elsif v_current is not null and (v_current ->> 'last_seq')::bigint + 1 = (v_run ->> 'first_seq')::bigint then
      v_current := jsonb_build_object('first_seq', v_current -> 'first_seq', 'previous_hash', v_current -> 'previous_hash')
                   || (v_run - 'first_seq' - 'previous_hash');
    else
      if v_current is not null then
        v_detached := v_detached || jsonb_build_array(v_current);
      end if;
      v_current := v_run;
    end if;
  end loop;
  if v_current is not null then
    v_detached := v_detached || jsonb_build_array(v_current);
  end if;

  execute format('alter table auth.audit_logs detach partition %s', partition);
  execute format('alter table %s set schema archive', partition);

  -- The anchor, chained at once, after every row it accounts for.
  select * into v_actor from auth.audit_actor();
  insert into auth.audit_logs (
    event_type, action, resource, resource_id, result, detail,
    user_id, actor_type, ip_address, user_agent, trace_id
  ) values (
    'AUDIT_CHAIN', 'detach', 'audit_logs', v_name, 'SUCCESS',
    jsonb_build_object(
      'partition', v_name,
      'from', v_bounds.lower_bound,
      'to', v_bounds.upper_bound,
      'rows', v_rows,
      'seq_ranges', (select coalesce(jsonb_agg(jsonb_build_array(r -> 'first_seq', r -> 'last_seq')), '[]')
                       from jsonb_array_elements(v_runs) r),
      'detached', v_detached
    ),
    v_actor.user_id, v_actor.actor_type,
    nullif(current_setting('request.ip', true), '')::inet,
    nullif(current_setting('request.user_agent', true), ''),
    nullif(current_setting('request.trace_id', true), '')
  );
  perform auth.chain_audit_logs(1000000);
end;
$function$;
comment on function auth.detach_audit_log_partition(partition regclass) is '@behavior -*
The only way rows leave the audit log: refuses the current month, later ones and any partition within the retention of auth.partition_policies; moves the partition to schema archive and chains an anchor (event_type AUDIT_CHAIN) listing every seq range gone from the log, each with the previous_hash of its first row and a copy of its last.';

CREATE OR REPLACE FUNCTION auth.ensure_audit_log_partition(month date)
 RETURNS regclass
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_start timestamp := date_trunc('month', month::timestamp);
begin
  if month is null then
    raise exception 'month must not be null' using errcode = '22004';
  end if;
  return auth.ensure_range_partition(
    'auth.audit_logs',
    format('audit_logs_y%sm%s', to_char(v_start, 'YYYY'), to_char(v_start, 'MM')),
    v_start at time zone 'UTC',
    (v_start + interval '1 month') at time zone 'UTC'
  );
end;
$function$;
comment on function auth.ensure_audit_log_partition(month date) is '@behavior -*
Creates the audit_logs partition for the UTC month containing `month` unless it exists; one place decides partition names and bounds.';

CREATE OR REPLACE FUNCTION auth.ensure_partition_for(table_name text, period_start timestamp without time zone)
 RETURNS regclass
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  return case table_name
    when 'audit_logs' then auth.ensure_audit_log_partition(period_start::date)
    when 'security_events' then auth.ensure_security_event_partition(period_start::date)
  end;
end;
$function$;
comment on function auth.ensure_partition_for(table_name text, period_start timestamp without time zone) is '@behavior -*
Creates the partition of a managed table for the period starting at period_start (UTC).';

CREATE OR REPLACE FUNCTION auth.ensure_range_partition(parent regclass, partition_name text, lower_bound timestamp with time zone, upper_bound timestamp with time zone)
 RETURNS regclass
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_partition regclass;
begin
  if parent is null or partition_name is null or lower_bound is null or upper_bound is null then
    raise exception 'ensure_range_partition: every argument is required' using errcode = '22004';
  end if;
  v_partition := to_regclass(format('auth.%I', partition_name));
  if v_partition is null then
    execute format(
      'create table auth.%I partition of %s for values from (%L) to (%L)',
      partition_name, parent, lower_bound, upper_bound
    );
    v_partition := format('auth.%I', partition_name)::regclass;
    if parent = 'auth.audit_logs'::regclass then
      execute format(
        'create trigger _200_no_truncate before truncate on %s for each statement execute function auth.tg_audit_logs_append_only()',
        v_partition
      );
    end if;
  end if;
  return v_partition;
end;
$function$;
comment on function auth.ensure_range_partition(parent regclass, partition_name text, lower_bound timestamp with time zone, upper_bound timestamp with time zone) is '@behavior -*
Creates the named range partition of `parent` unless it exists: the one place partitions are made.';

CREATE OR REPLACE FUNCTION auth.ensure_security_event_partition(day date)
 RETURNS regclass
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if day is null then
    raise exception 'day must not be null' using errcode = '22004';
  end if;
  return auth.ensure_range_partition(
    'auth.security_events',
    format('security_events_p%s', to_char(day, 'YYYYMMDD')),
    day::timestamp at time zone 'UTC',
    (day + 1)::timestamp at time zone 'UTC'
  );
end;
$function$;
comment on function auth.ensure_security_event_partition(day date) is '@behavior -*
Creates the security_events partition for one UTC day unless it exists.';

CREATE OR REPLACE FUNCTION auth.grant_permission(role_name text, resource text, action auth.permission_action)
 RETURNS auth.role_permissions
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_role_id uuid;
  v_permission_id uuid;
  v_grant auth.role_permissions;
begin
  perform auth.require_permission('auth_config', 'write', 'granting a permission');
  perform auth.require_permission(resource, action, 'granting a permission you do not hold');
  select r.id into v_role_id from auth.roles r where r.name = role_name;
  if v_role_id is null then
    raise exception 'roleName: no role named "%"', role_name using errcode = '22023';
  end if;
  select p.id into v_permission_id from auth.permissions p
   where p.resource = grant_permission.resource and p.action = grant_permission.action;
  if v_permission_id is null then
    raise exception 'resource, action: no permission %:%', resource, action using errcode = '22023';
  end if;
  insert into auth.role_permissions (role_id, permission_id) values (v_role_id, v_permission_id)
  on conflict do nothing
  returning * into v_grant;
  if v_grant is null then
    select * into v_grant from auth.role_permissions rp
     where rp.role_id = v_role_id and rp.permission_id = v_permission_id;
  end if;
  return v_grant;
end;
$function$;
comment on function auth.grant_permission(role_name text, resource text, action auth.permission_action) is 'Adds a permission to a role (needs auth_config:write and the permission itself: nobody grants what they do not hold).';

CREATE OR REPLACE FUNCTION auth.has_permission(resource text, action auth.permission_action)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select case
    when auth.current_api_key_id() is not null then
      coalesce(nullif(current_setting('api_key.permissions', true), ''), '[]')::jsonb
        ?| array[has_permission.resource || ':' || has_permission.action::text, has_permission.resource || ':admin']
    else exists (
      select 1
        from auth.users u
        join auth.user_roles ur on ur.user_id = u.id
        join auth.role_permissions rp on rp.role_id = ur.role_id
        join auth.permissions p on p.id = rp.permission_id
       where u.keycloak_sub = nullif(current_setting('jwt.claims.sub', true), '')
         and u.status = 'active'
         and p.resource = has_permission.resource
         and p.action in (has_permission.action, 'admin')
    )
  end
$function$;
comment on function auth.has_permission(resource text, action auth.permission_action) is 'Whether the caller holds `action` on `resource` through any of their roles; `admin` on a resource implies every action on it. False for anonymous, inactive and suspended callers.';

CREATE OR REPLACE FUNCTION auth.has_permissions(checks auth.permission_check[])
 RETURNS TABLE(resource text, action auth.permission_action, granted boolean)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if cardinality(checks) > 1000 then
    raise exception 'checks: at most 1000 pairs per call, got %', cardinality(checks)
      using errcode = '22023';
  end if;
  return query
    with held as (select * from auth.current_permissions())
    select c.resource, c.action,
           exists (select 1 from held h where h.resource = c.resource and h.action = c.action)
      from unnest(checks) with ordinality as c(resource, action, position)
     order by c.position;
end;
$function$;
comment on function auth.has_permissions(checks auth.permission_check[]) is 'Batch form of hasPermission: one answer per pair, in the order asked, from one look-up of the caller''s permissions.';

CREATE OR REPLACE FUNCTION auth.implied_permissions(permissions text[])
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select coalesce(array_agg(distinct implied order by implied), '{}')
    from unnest(permissions) as p
    cross join lateral unnest(
      case when split_part(p, ':', 2) = 'admin'
        then array[split_part(p, ':', 1) || ':read', split_part(p, ':', 1) || ':write',
                   split_part(p, ':', 1) || ':delete', p]
        else array[p]
      end
    ) as implied
$function$;
comment on function auth.implied_permissions(permissions text[]) is '@behavior -*
"resource:action" strings with every `admin` expanded to the actions it implies, sorted and distinct: the form in which two sets of permissions are compared.';

CREATE OR REPLACE FUNCTION auth.new_api_key_secret()
 RETURNS text
 LANGUAGE sql
 SET search_path TO 'pg_catalog'
AS $function$
  -- 3 × 122 random bits from the server's CSPRNG (gen_random_uuid), folded by
  -- SHA-256 into 256 bits, base64url without padding: 43 characters.
  select 'adb_' || translate(
    encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'base64'),
    '+/=', '-_'
  )
$function$;
comment on function auth.new_api_key_secret() is '@behavior -*
A new random key: "adb_" and 43 base64url characters (256 bits). Core PostgreSQL only, no pgcrypto.';

CREATE OR REPLACE FUNCTION auth.partition_bounds(parent regclass)
 RETURNS TABLE(partition regclass, lower_bound timestamp with time zone, upper_bound timestamp with time zone, is_default boolean)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select c.oid::regclass,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz,
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
   where i.inhparent = parent
$function$;
comment on function auth.partition_bounds(parent regclass) is '@behavior -*
The partitions of a range-partitioned table with their bounds, read from the catalogue.';

CREATE OR REPLACE FUNCTION auth.record_denied_attempts(attempts jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_count integer;
begin
  if jsonb_typeof(attempts) is distinct from 'array' or jsonb_array_length(attempts) > 10000 then
    raise exception 'attempts: expected a JSON array of at most 10000 denied attempts' using errcode = '22023';
  end if;
  -- The refused transactions rolled back, so the server names the actor; only
  -- the server's own role may call this. Entries without a valid operation or
  -- actor are skipped, invalid optional fields left out.
  insert into auth.audit_logs (
    event_type, action, resource, result, detail, user_id, actor_type, ip_address, user_agent, trace_id
  )
  select 'ACCESS_DENIED',
         a.entry ->> 'operation',
         nullif(split_part(coalesce(a.permission, ''), ':', 1), ''),
         'DENIED',
         jsonb_strip_nulls(jsonb_build_object(
           'permission', a.permission,
           'message', left(a.entry ->> 'message', 500),
           'count', case when a.entry ->> 'count' ~ '^[1-9][0-9]{0,17}$' then (a.entry ->> 'count')::bigint else 1 end,
           'first_at', case when pg_input_is_valid(a.entry ->> 'first_at', 'timestamptz') then a.entry ->> 'first_at' end,
           'last_at', case when pg_input_is_valid(a.entry ->> 'last_at', 'timestamptz') then a.entry ->> 'last_at' end
         )),
         left(a.entry ->> 'user_id', 255),
         a.entry ->> 'actor_type',
         case when pg_input_is_valid(a.entry ->> 'ip_address', 'inet') then (a.entry ->> 'ip_address')::inet end,
         left(a.entry ->> 'user_agent', 512),
         case when a.entry ->> 'trace_id' ~ '^[0-9a-f]{32}$' then a.entry ->> 'trace_id' end
    from (
      select e as entry,
             case when e ->> 'permission' ~ '^[a-z][a-z0-9_]*:[a-z]+$' then e ->> 'permission' end as permission
        from jsonb_array_elements(attempts) as e
       where jsonb_typeof(e) = 'object'
    ) as a
   where a.entry ->> 'operation' ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'
     and a.entry ->> 'actor_type' in ('user', 'service')
     and coalesce(a.entry ->> 'user_id', '') <> '';
  get diagnostics v_count = row_count;
  return v_count;
end;
$function$;
comment on function auth.record_denied_attempts(attempts jsonb) is '@behavior -*
Audits refused mutations as ACCESS_DENIED rows (result DENIED), one per caller, operation, address and window with its count, written by the server after the refused transactions rolled back. Only the server''s role may call it, since it names the actor. Returns how many rows were stored; invalid entries are skipped.';

CREATE OR REPLACE FUNCTION auth.record_job_run(job text, started_at timestamp with time zone, succeeded boolean, detail jsonb)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  insert into auth.job_runs (job, started_at, succeeded, detail) values (job, started_at, succeeded, coalesce(detail, '{}'))
$function$;
comment on function auth.record_job_run(job text, started_at timestamp with time zone, succeeded boolean, detail jsonb) is '@behavior -*
Records how a scheduled job run ended.';

CREATE OR REPLACE FUNCTION auth.record_security_events(events jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_count integer;
begin
  if jsonb_typeof(events) is distinct from 'array' or jsonb_array_length(events) > 10000 then
    raise exception 'events: expected a JSON array of at most 10000 events' using errcode = '22023';
  end if;
  -- Entries that are not events (no object, no valid type) are skipped; a field
  -- its column cannot hold is left out rather than failing the whole batch.
  insert into auth.security_events (type, description, user_id, user_name, client_id, ip_address, user_agent, detail, created_at)
  select e ->> 'type',
         left(e ->> 'description', 1000),
         left(e ->> 'user_id', 255),
         left(e ->> 'user_name', 255),
         left(e ->> 'client_id', 255),
         case when pg_input_is_valid(e ->> 'ip_address', 'inet') then (e ->> 'ip_address')::inet end,
         left(e ->> 'user_agent', 512),
         case when jsonb_typeof(e -> 'detail') = 'object' then e -> 'detail' else '{}'::jsonb end,
         coalesce(
           case when pg_input_is_valid(e ->> 'created_at', 'timestamptz') then
             case when isfinite((e ->> 'created_at')::timestamptz) then (e ->> 'created_at')::timestamptz end
           end,
           now()
         )
    from jsonb_array_elements(events) as e
   where jsonb_typeof(e) = 'object'
     and jsonb_typeof(e -> 'type') = 'string'
     and e ->> 'type' ~ '^[A-Z][A-Z0-9_]{0,63}$';
  get diagnostics v_count = row_count;
  return v_count;
end;
$function$;
comment on function auth.record_security_events(events jsonb) is '@behavior -*
Inserts a batch of security events collected by the server''s bounded queue (rejected credentials, coalesced refusals), the only writer of security events. Returns how many were stored: invalid entries are skipped and invalid fields left out, so one bad event never drops the others.';

CREATE OR REPLACE FUNCTION auth.require_caller_holds(permissions text[], doing text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_missing text;
begin
  if not auth.acting_for_a_request() then
    return;
  end if;
  select wanted into v_missing
    from unnest(auth.implied_permissions(permissions)) as wanted
   where wanted <> all (auth.caller_held_permissions())
   order by 1
   limit 1;
  if v_missing is not null then
    raise exception 'permission denied: % needs %, which you do not hold', doing, v_missing
      using errcode = '42501', detail = v_missing,
            hint = 'Nobody can give or take a permission they do not hold themselves.';
  end if;
end;
$function$;
comment on function auth.require_caller_holds(permissions text[], doing text) is '@behavior -*
The one check behind closure and symmetry: a request may give or take only permissions its caller holds now. Raises 42501 naming the first missing permission (also in DETAIL). Operators, connected as the schema owner, are not requests.';

CREATE OR REPLACE FUNCTION auth.require_permission(resource text, action auth.permission_action, doing text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if auth.acting_for_a_request() and not auth.has_permission(resource, action) then
    raise exception 'permission denied: % requires %:%', doing, resource, action
      using errcode = '42501', detail = format('%s:%s', resource, action);
  end if;
end;
$function$;
comment on function auth.require_permission(resource text, action auth.permission_action, doing text) is '@behavior -*
Raises a permission error naming the missing permission unless the caller holds it. Binds requests; operators connected as the schema owner pass.';

CREATE OR REPLACE FUNCTION auth.require_tier_fits(argument text, permission text, permission_tier auth.tier, holder_tier auth.tier, holder text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog'
AS $function$
begin
  -- The enum runs from the highest tier (system) to the lowest (service).
  if permission_tier < holder_tier then
    raise exception '%: % is a % permission; % may hold only permissions of tier % or below',
      argument, permission, permission_tier, holder, holder_tier
      using errcode = '22023';
  end if;
end;
$function$;
comment on function auth.require_tier_fits(argument text, permission text, permission_tier auth.tier, holder_tier auth.tier, holder text) is '@behavior -*
The tier ceiling, for roles and keys alike: a holder of a tier holds only permissions of that tier or below. `argument` names the input the error is about.';

CREATE OR REPLACE FUNCTION auth.revoke_api_key(id uuid)
 RETURNS auth.api_keys
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('api_keys', 'write', 'revoking an API key');
  return auth._revoke_api_key(id);
end;
$function$;
comment on function auth.revoke_api_key(id uuid) is 'Revokes an API key immediately (needs api_keys:write).';

CREATE OR REPLACE FUNCTION auth.revoke_permission(role_name text, resource text, action auth.permission_action)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('auth_config', 'write', 'revoking a permission');
  delete from auth.role_permissions rp
   using auth.roles r, auth.permissions p
   where r.id = rp.role_id and p.id = rp.permission_id
     and r.name = role_name and p.resource = revoke_permission.resource and p.action = revoke_permission.action;
  return found;
end;
$function$;
comment on function auth.revoke_permission(role_name text, resource text, action auth.permission_action) is 'Removes a permission from a role (needs auth_config:write). True when the role had it.';

CREATE OR REPLACE FUNCTION auth.revoke_role(user_id uuid, role_name text)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('users', 'admin', 'revoking a role');
  delete from auth.user_roles ur
   using auth.roles r
   where r.id = ur.role_id and r.name = role_name and ur.user_id = revoke_role.user_id;
  return found;
end;
$function$;
comment on function auth.revoke_role(user_id uuid, role_name text) is 'Takes a role from a user (needs users:admin); effective on the next request. True when the user held it.';

CREATE OR REPLACE FUNCTION auth.role_held_permissions(role_id uuid)
 RETURNS text[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select auth.implied_permissions(array(
    select p.resource || ':' || p.action
      from auth.role_permissions rp
      join auth.permissions p on p.id = rp.permission_id
     where rp.role_id = role_held_permissions.role_id
  ))
$function$;
comment on function auth.role_held_permissions(role_id uuid) is '@behavior -*
Every permission a role grants, admin expanded.';

CREATE OR REPLACE FUNCTION auth.rotate_api_key(id uuid, grace_seconds integer DEFAULT 0)
 RETURNS auth.issued_api_key
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform auth.require_permission('api_keys', 'write', 'rotating an API key');
  return auth._rotate_api_key(id, grace_seconds);
end;
$function$;
comment on function auth.rotate_api_key(id uuid, grace_seconds integer) is 'Gives an API key a new secret (needs api_keys:write and the key''s permissions); the old secret stays valid for graceSeconds (default 0), then stops.';

CREATE OR REPLACE FUNCTION auth.run_partition_maintenance(at timestamp with time zone DEFAULT now(), dry_run boolean DEFAULT false)
 RETURNS TABLE(table_name text, action text, partition text, detail text)
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_policy auth.partition_policies;
  v_parent regclass;
  v_default regclass;
  v_period timestamp;
  v_step interval;
  v_rows bigint;
  v_part record;
  v_expiry timestamptz;
begin
  if at is null or dry_run is null then
    raise exception 'at, dry_run: both are required' using errcode = '22004';
  end if;
  -- Maintenance and the audit chainer must not move the same rows at once.
  perform pg_advisory_xact_lock(hashtext('auth.audit_chain'));
  perform set_config('auth.partition_maintenance', 'on', true);

  for v_policy in select * from auth.partition_policies order by 1 loop
    v_parent := format('auth.%I', v_policy.table_name)::regclass;
    v_step := case v_policy.granularity when 'day' then interval '1 day' else interval '1 month' end;
    table_name := v_policy.table_name;

    -- 1. Rows that fell into the default partition go to their own.
    select b.partition into v_default from auth.partition_bounds(v_parent) b where b.is_default;
    if v_default is not null then
      for v_period, v_rows in
        execute format(
          'select date_trunc(%L, created_at at time zone ''UTC''), count(*) from %s group by 1 order by 1',
          v_policy.granularity, v_default)
      loop
        action := 'move';
        partition := v_default::text;
        detail := format('%s rows from %s to the %s partition starting %s', v_rows, v_default, v_policy.granularity, v_period);
        if not dry_run then
          execute format(
            'create temporary table maintenance_moving on commit drop as
               with moved as (delete from %s where created_at >= %L and created_at < %L returning *)
               select * from moved',
            v_default, v_period at time zone 'UTC', (v_period + v_step) at time zone 'UTC');
          perform auth.ensure_partition_for(v_policy.table_name, v_period);
          execute format('insert into %s select * from maintenance_moving', v_parent);
          drop table maintenance_moving;
        end if;
        return next;
      end loop;
    end if;

    -- 2. Partitions from the current period through the premake horizon, and
    --    one period more, so the runway never drops under the premake
    --    interval between two daily runs.
    for v_period in
      select generate_series(
        date_trunc(v_policy.granularity, at at time zone 'UTC'),
        date_trunc(v_policy.granularity, (at + v_policy.premake) at time zone 'UTC') + v_step,
        v_step)
    loop
      if not exists (
        select 1 from auth.partition_bounds(v_parent) b
         where not b.is_default and b.lower_bound = v_period at time zone 'UTC'
      ) then
        action := 'create';
        partition := null;
        detail := format('%s partition starting %s', v_policy.granularity, v_period);
        if not dry_run then
          partition := auth.ensure_partition_for(v_policy.table_name, v_period)::text;
        end if;
        return next;
      end if;
    end loop;

    -- 3. Partitions wholly older than the retention leave for schema archive
    --    (audit partitions, in a real run, by the real clock).
    v_expiry := case when v_policy.table_name = 'audit_logs' and not dry_run then least(at, now()) else at end
                - v_policy.retention;
    for v_part in
      select b.partition, b.upper_bound from auth.partition_bounds(v_parent) b
       where not b.is_default and b.upper_bound <= v_expiry
       order by b.lower_bound
    loop
      action := 'detach';
      partition := v_part.partition::text;
      detail := format('ends %s, older than the %s retention; moves to schema archive', v_part.upper_bound, v_policy.retention);
      if not dry_run then
        if v_policy.table_name = 'audit_logs' then
          perform auth.detach_audit_log_partition(v_part.partition);
        else
          execute format('alter table %s detach partition %s', v_parent, v_part.partition);
          execute format('alter table %s set schema archive', v_part.partition);
        end if;
      end if;
      return next;
    end loop;
  end loop;
end;
$function$;
comment on function auth.run_partition_maintenance(at timestamp with time zone, dry_run boolean) is '@behavior -*
Keeps every partitioned table ready as of `at`: moves rows out of default partitions into their own, premakes partitions through the policy''s horizon, and detaches partitions older than the retention into schema archive (never drops). Returns what it did, or with dry_run what it would do, changing nothing.';

CREATE OR REPLACE FUNCTION auth.sync_current_user()
 RETURNS auth.users
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_sub text := nullif(current_setting('jwt.claims.sub', true), '');
  v_username text := coalesce(nullif(current_setting('jwt.claims.preferred_username', true), ''), v_sub);
  v_email text := nullif(current_setting('jwt.claims.email', true), '');
  v_name text := nullif(current_setting('jwt.claims.name', true), '');
  v_user auth.users;
begin
  if v_sub is null then
    raise exception 'no verified Keycloak subject in this request' using errcode = '28000';
  end if;
  -- A profile an operator created before this person first signed in is linked by username.
  update auth.users set keycloak_sub = v_sub
   where keycloak_sub is null and lower(username) = lower(v_username);
  -- Concurrent first requests of one sub meet at the unique keycloak_sub: one row, then updates.
  insert into auth.users as u (keycloak_sub, username, email, display_name, last_login_at)
  values (v_sub, v_username, v_email, v_name, now())
  on conflict (keycloak_sub) do update
     set username = excluded.username,
         email = excluded.email,
         display_name = coalesce(excluded.display_name, u.display_name),
         last_login_at = now()
  returning * into v_user;
  return v_user;
end;
$function$;
comment on function auth.sync_current_user() is '@behavior -*
Creates or refreshes the caller''s profile from the verified token claims. Called by the server when it sees a sub (or changed claims) for the first time; definer because callers may not write users themselves.';

CREATE OR REPLACE FUNCTION auth.tg_api_keys_closure()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_issuing auth.api_keys;
  v_wanted text;
  v_permission auth.permissions;
  v_label text := format('API key "%s"', coalesce(new.name, old.name));
begin
  if tg_op = 'INSERT' then
    -- The issuer comes from the request, never from input.
    new.created_by := auth.current_user_id();
    new.issued_by_key := auth.current_api_key_id();
    new.issuer := case
      when not auth.acting_for_a_request() then 'operator'
      when new.issued_by_key is not null then 'api_key'
      when new.created_by is not null then 'user'
    end;
    if new.issuer is null then
      raise exception 'permission denied: issuing an API key needs a signed-in caller' using errcode = '42501';
    end if;
    if new.issuer = 'operator' then
      new.created_by := null;
      new.issued_by_key := null;
    end if;
  end if;

  if tg_op = 'UPDATE' and (new.issuer, new.created_by, new.issued_by_key) is distinct from
                          (old.issuer, old.created_by, old.issued_by_key) then
    -- Only two changes are possible: a deleted issuer (set null by its foreign
    -- key, after which the key holds nothing), or a rotated key's replacement
    -- taking over the issuer of the key it replaces.
    if not (
         (new.issuer = old.issuer and new.created_by is null and new.issued_by_key is not distinct from old.issued_by_key)
      or (new.issuer = old.issuer and new.issued_by_key is null and new.created_by is not distinct from old.created_by)
      or exists (
           select 1 from auth.api_keys replaced
            where replaced.replaced_by = new.id
              and (replaced.issuer, replaced.created_by, replaced.issued_by_key)
                  is not distinct from (new.issuer, new.created_by, new.issued_by_key))
    ) then
      raise exception 'API key %: who issued a key cannot be changed', new.id using errcode = '42501';
    end if;
  end if;

  if tg_op = 'INSERT' or new.permissions is distinct from old.permissions or new.tier is distinct from old.tier then
    for v_wanted in select jsonb_array_elements_text(new.permissions) loop
      select * into v_permission from auth.permissions p
       where p.resource || ':' || p.action = v_wanted;
      if not found then
        raise exception 'permissions: no permission % in the catalogue', v_wanted using errcode = '22023';
      end if;
      perform auth.require_tier_fits('permissions', v_wanted, v_permission.tier, new.tier, format('a %s key', new.tier));
    end loop;
    perform auth.require_caller_holds(
      array(select jsonb_array_elements_text(new.permissions)),
      case when tg_op = 'INSERT' then format('issuing %s', v_label) else format('changing %s', v_label) end
    );
  end if;

  if tg_op = 'UPDATE' and (
       (old.is_active and not new.is_active)
    or new.revoked_at is distinct from old.revoked_at
    or new.permissions is distinct from old.permissions
    or new.expires_at is distinct from old.expires_at
  ) then
    perform auth.require_caller_holds(
      array(select jsonb_array_elements_text(old.permissions)),
      format('revoking or changing %s', v_label)
    );
  end if;

  -- A key never outlives the key that issued it.
  if new.issuer = 'api_key' and (tg_op = 'INSERT' or new.expires_at is distinct from old.expires_at) then
    select * into v_issuing from auth.api_keys i where i.id = new.issued_by_key;
    if v_issuing.expires_at is not null then
      new.expires_at := least(coalesce(new.expires_at, v_issuing.expires_at), v_issuing.expires_at);
    end if;
  end if;
  return new;
end;
$function$;
comment on function auth.tg_api_keys_closure() is 'Trigger: records who issued a key; a key holds only catalogue permissions of its tier or below that the issuing caller holds; revoking, rotating or changing a key needs every permission it holds; a key issued by a key expires no later than it.';

CREATE OR REPLACE FUNCTION auth.tg_audit_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  -- Secrets never reach the log; bookkeeping columns alone are not a change.
  v_secret text[] := array['key_hash'];
  v_noise text[] := array['updated_at', 'last_used_at', 'last_login_at'];
  v_old jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) - v_secret end;
  v_new jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) - v_secret end;
  v_detail jsonb;
  v_changed text[];
  v_row jsonb := coalesce(v_new, v_old);
  v_actor record;
begin
  if tg_op = 'UPDATE' then
    select array_agg(n.key order by n.key) into v_changed
      from jsonb_each(v_new) n
     where n.value is distinct from v_old -> n.key and not n.key = any (v_noise);
    if v_changed is null then
      return null;
    end if;
    v_detail := jsonb_build_object(
      'before', (select jsonb_object_agg(k, v_old -> k) from unnest(v_changed) k),
      'after', (select jsonb_object_agg(k, v_new -> k) from unnest(v_changed) k)
    );
  elsif tg_op = 'INSERT' then
    v_detail := jsonb_build_object('after', v_new);
  else
    v_detail := jsonb_build_object('before', v_old);
  end if;

  select * into v_actor from auth.audit_actor();
  insert into auth.audit_logs (
    event_type, action, resource, resource_id, result, detail,
    user_id, actor_type, ip_address, user_agent, trace_id
  ) values (
    tg_argv[0],
    lower(tg_op),
    tg_table_name,
    (select string_agg(v_row ->> key_column, ':') from unnest(tg_argv[1:]) as key_column),
    'SUCCESS',
    v_detail,
    v_actor.user_id,
    v_actor.actor_type,
    nullif(current_setting('request.ip', true), '')::inet,
    nullif(current_setting('request.user_agent', true), ''),
    nullif(current_setting('request.trace_id', true), '')
  );
  return null;
end;
$function$;
comment on function auth.tg_audit_change() is 'Trigger: records an insert, update (before/after of the changed columns) or delete in auth.audit_logs, in the same transaction, with the actor, ip, user agent and trace id of the request. Arguments: the event type, then the key columns.';

CREATE OR REPLACE FUNCTION auth.tg_audit_logs_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_unlinked auth.audit_logs;
begin
  if tg_op = 'UPDATE' and current_setting('auth.audit_chaining', true) = 'on' and old.seq is null then
    v_unlinked := new;
    v_unlinked.seq := old.seq;
    v_unlinked.previous_hash := old.previous_hash;
    v_unlinked.hash := old.hash;
    v_unlinked.chain_format := old.chain_format;
    if v_unlinked is not distinct from old then
      return new; -- the chainer linking a row
    end if;
  end if;
  if tg_op = 'DELETE'
     and tg_table_name = 'audit_logs_default'
     and current_setting('auth.partition_maintenance', true) = 'on' then
    return old; -- maintenance moving a row to its proper partition
  end if;
  raise exception 'audit_logs is append-only: % is not allowed', lower(tg_op)
    using errcode = '42501', hint = 'Rows leave the audit log only when a whole expired partition is detached.';
end;
$function$;
comment on function auth.tg_audit_logs_append_only() is 'Trigger: refuses UPDATE, DELETE and TRUNCATE of audit rows for every role, the owner included; only the chainer may fill in chain columns of unlinked rows.';

CREATE OR REPLACE FUNCTION auth.tg_audit_logs_prepare()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if current_setting('auth.partition_maintenance', true) = 'on' then
    return new; -- a row moving between partitions keeps its chain position
  end if;
  new.seq := null;
  new.previous_hash := null;
  new.hash := null;
  return new;
end;
$function$;
comment on function auth.tg_audit_logs_prepare() is 'Trigger: new audit rows start unlinked, whatever the insert said.';

CREATE OR REPLACE FUNCTION auth.tg_permissions_closure()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_holder record;
begin
  if tg_op = 'DELETE' then
    perform auth.require_caller_holds(array[old.resource || ':' || old.action],
      format('deleting permission %s:%s', old.resource, old.action));
    return old;
  end if;
  for v_holder in
    select format('role "%s"', r.name) as name, r.tier
      from auth.role_permissions rp join auth.roles r on r.id = rp.role_id
     where rp.permission_id = new.id
    union all
    select format('API key %s', k.id), k.tier
      from auth.api_keys k
     where k.permissions ? (new.resource || ':' || new.action)
  loop
    perform auth.require_tier_fits('tier', new.resource || ':' || new.action, new.tier, v_holder.tier,
      format('%s (tier %s)', v_holder.name, v_holder.tier));
  end loop;
  return new;
end;
$function$;
comment on function auth.tg_permissions_closure() is 'Trigger: deleting a permission takes it from every holder, so it needs that permission; raising its tier cannot leave it with a holder of a lower tier.';

CREATE OR REPLACE FUNCTION auth.tg_role_permissions_closure()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_grant auth.role_permissions := case when tg_op = 'INSERT' then new else old end;
  v_permission auth.permissions;
  v_role auth.roles;
  v_name text;
begin
  select * into v_permission from auth.permissions p where p.id = v_grant.permission_id;
  select * into v_role from auth.roles r where r.id = v_grant.role_id;
  v_name := v_permission.resource || ':' || v_permission.action;
  if tg_op = 'INSERT' then
    perform auth.require_tier_fits('resource, action', v_name, v_permission.tier, v_role.tier,
      format('role "%s" (tier %s)', v_role.name, v_role.tier));
  end if;
  perform auth.require_caller_holds(
    array[v_name],
    format(case when tg_op = 'INSERT' then 'granting %s to role "%s"' else 'revoking %s from role "%s"' end,
           v_name, v_role.name)
  );
  return case when tg_op = 'INSERT' then new else old end;
end;
$function$;
comment on function auth.tg_role_permissions_closure() is 'Trigger: a role holds only permissions of its tier or below, and granting or revoking a permission needs that permission.';

CREATE OR REPLACE FUNCTION auth.tg_roles_closure()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_grant record;
begin
  if tg_op = 'DELETE' then
    perform auth.require_caller_holds(auth.role_held_permissions(old.id), format('deleting role "%s"', old.name));
    return old;
  end if;
  for v_grant in
    select p.resource || ':' || p.action as name, p.tier
      from auth.role_permissions rp join auth.permissions p on p.id = rp.permission_id
     where rp.role_id = new.id
  loop
    perform auth.require_tier_fits('tier', v_grant.name, v_grant.tier, new.tier,
      format('role "%s" (tier %s)', new.name, new.tier));
  end loop;
  return new;
end;
$function$;
comment on function auth.tg_roles_closure() is 'Trigger: deleting a role takes its permissions from every holder, so it needs all of them; a role''s tier cannot drop below a permission it holds.';

CREATE OR REPLACE FUNCTION auth.tg_set_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  new.updated_at := now();
  return new;
end;
$function$;
comment on function auth.tg_set_updated_at() is 'Trigger: stamps updated_at on every UPDATE, so the column is always true and never set by callers.';

CREATE OR REPLACE FUNCTION auth.tg_user_roles_closure()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_assignment auth.user_roles := case when tg_op = 'INSERT' then new else old end;
  v_role_name text := (select r.name from auth.roles r where r.id = v_assignment.role_id);
begin
  perform auth.require_caller_holds(
    auth.role_held_permissions(v_assignment.role_id),
    format(case when tg_op = 'INSERT' then 'giving role "%s"' else 'taking role "%s"' end, v_role_name)
  );
  return case when tg_op = 'INSERT' then new else old end;
end;
$function$;
comment on function auth.tg_user_roles_closure() is 'Trigger: giving or taking a role needs every permission the role grants (closure and symmetry).';

CREATE OR REPLACE FUNCTION auth.tg_user_roles_set_assigner()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  new.assigned_by := auth.current_user_id();
  new.assigned_at := now();
  return new;
end;
$function$;
comment on function auth.tg_user_roles_set_assigner() is 'Trigger: who assigned a role and when come from the request, never from input.';

CREATE OR REPLACE FUNCTION auth.tg_users_closure()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if (old.status = 'active') is distinct from (new.status = 'active') then
    perform auth.require_caller_holds(
      auth.user_role_permissions(new.id),
      format(case when new.status = 'active' then 'reactivating user %s' else 'making user %s %s' end,
             new.username, new.status)
    );
  end if;
  return new;
end;
$function$;
comment on function auth.tg_users_closure() is 'Trigger: only active users hold permissions, so activating a user gives them, and suspending takes them: either needs every permission the user''s roles grant.';

CREATE OR REPLACE FUNCTION auth.update_user(user_id uuid, display_name text DEFAULT NULL::text, status auth.user_status DEFAULT NULL::auth.user_status)
 RETURNS auth.users
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_user auth.users;
begin
  perform auth.require_permission('users', 'write', 'updating a user');
  update auth.users u
     set display_name = coalesce(update_user.display_name, u.display_name),
         status = coalesce(update_user.status, u.status)
   where u.id = update_user.user_id
  returning * into v_user;
  if v_user is null then
    raise exception 'userId: no user with id %', user_id using errcode = '22023';
  end if;
  return v_user;
end;
$function$;
comment on function auth.update_user(user_id uuid, display_name text, status auth.user_status) is 'Changes a user''s display name or status (needs users:write); omitted fields stay as they are. Suspending a user removes every permission at once.';

CREATE OR REPLACE FUNCTION auth.user_role_permissions(user_id uuid)
 RETURNS text[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select auth.implied_permissions(array(
    select p.resource || ':' || p.action
      from auth.user_roles ur
      join auth.role_permissions rp on rp.role_id = ur.role_id
      join auth.permissions p on p.id = rp.permission_id
     where ur.user_id = user_role_permissions.user_id
  ))
$function$;
comment on function auth.user_role_permissions(user_id uuid) is '@behavior -*
Every permission a user''s roles grant, admin expanded, whatever the user''s status: what the user holds while active.';

CREATE OR REPLACE FUNCTION auth.users_permissions(u auth.users)
 RETURNS TABLE(resource text, action auth.permission_action)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select distinct p.resource, implied.action
    from auth.user_roles ur
    join auth.role_permissions rp on rp.role_id = ur.role_id
    join auth.permissions p on p.id = rp.permission_id
    cross join lateral unnest(
      case when p.action = 'admin' then enum_range(null::auth.permission_action) else array[p.action] end
    ) as implied(action)
   where ur.user_id = u.id
     and u.status = 'active'
   order by 1, 2
$function$;
comment on function auth.users_permissions(u auth.users) is 'What this user may do through their roles (admin expanded); empty while the user is inactive or suspended.';

CREATE OR REPLACE FUNCTION auth.users_roles(u auth.users)
 RETURNS SETOF auth.roles
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select r.* from auth.roles r
    join auth.user_roles ur on ur.role_id = r.id
   where ur.user_id = u.id
   order by r.name
$function$;
comment on function auth.users_roles(u auth.users) is 'The roles assigned to this user.';

CREATE OR REPLACE FUNCTION auth.verify_api_key(key text)
 RETURNS auth.api_key_verification
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_row auth.api_keys;
  v_standing auth.api_key_standing;
  v_code text;
begin
  if key is null or key !~ '^adb_[A-Za-z0-9_-]{43}$' then
    v_code := 'MALFORMED';
  else
    -- One index lookup by hash, whatever the number of keys.
    select * into v_row from auth.api_keys k where k.key_hash = sha256(convert_to(key, 'UTF8'));
    if not found then
      v_code := 'NOT_FOUND';
    else
      v_standing := auth.api_key_standing(v_row);
      v_code := v_standing.code;
    end if;
  end if;

  if v_code = 'VALID' then
    -- At most one write a minute per key, and never a wait on a busy key's row.
    if v_row.last_used_at is null or v_row.last_used_at < now() - interval '1 minute' then
      update auth.api_keys k set last_used_at = now()
       where k.id = (
         select l.id from auth.api_keys l
          where l.id = v_row.id and (l.last_used_at is null or l.last_used_at < now() - interval '1 minute')
          for update skip locked
       );
    end if;
    return row(true, v_code, v_row.id, v_row.service_name, v_row.tier, to_jsonb(v_standing.permissions))::auth.api_key_verification;
  end if;

  return row(false, v_code, null, null, null, null)::auth.api_key_verification;
end;
$function$;
comment on function auth.verify_api_key(key text) is 'Verifies an API key: VALID with the key''s id, service, tier and what it holds now (its permissions, admin expanded, narrowed by its issuer''s), or NOT_FOUND, EXPIRED, REVOKED (also when the key that issued it is), MALFORMED. It writes no security event itself (a caller could make it write without bound): the server queues failures, coalesced, with the key''s prefix, never the key.';

CREATE OR REPLACE FUNCTION auth.verify_audit_chain(from_seq bigint DEFAULT NULL::bigint, to_seq bigint DEFAULT NULL::bigint)
 RETURNS TABLE(intact boolean, first_broken_seq bigint, reason text, checked_rows bigint, head_seq bigint, head_hash text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
 SET client_encoding TO 'UTF8'
AS $function$
declare
  v_from bigint;
  v_to bigint;
  v_anchor_seq bigint;
  v_anchor_detail jsonb;
  v_anchor_sound boolean := true;
  v_first bigint[];
  v_last bigint[];
  v_previous text[];
  v_last_hash text[];
  v_i integer;
  v_split integer;
  v_detached_rows bigint := 0;
  v_detached_balance numeric := 0;
  v_anchor_hash text;
  v_end_hash text;
  v_key bigint;
  v_balance numeric;
  v_passed boolean;
  v_mismatch_seq bigint;
  v_broken_seq bigint;
  v_broken_why text;
begin
  perform auth.chain_audit_logs(1000000);
  select h.seq, h.hash into head_seq, head_hash from auth.audit_chain_head h;
  v_from := coalesce(from_seq, 1);
  v_to := coalesce(to_seq, head_seq);
  if v_from < 1 or v_to < v_from - 1 then
    raise exception 'from_seq, to_seq: expected 1 <= from <= to + 1, got % and %', v_from, v_to using errcode = '22023';
  end if;

  -- The latest anchor and the ranges it lists; one that does not read back is a break.
  select l.seq, l.detail into v_anchor_seq, v_anchor_detail
    from auth.audit_logs l where l.event_type = 'AUDIT_CHAIN' and l.seq <= head_seq
   order by l.seq desc limit 1;
  if v_anchor_seq is not null then
    begin
      select array_agg(r.first_seq order by r.first_seq), array_agg(r.last_seq order by r.first_seq),
             array_agg(r.previous_hash order by r.first_seq), array_agg(r.last_hash order by r.first_seq),
             coalesce(bool_and(r.sound), true) and jsonb_typeof(v_anchor_detail -> 'detached') = 'array'
        into v_first, v_last, v_previous, v_last_hash, v_anchor_sound
        from auth.audit_chain_runs(v_anchor_detail -> 'detached') r;
    exception when others then
      v_anchor_sound := false;
    end;
    v_anchor_sound := coalesce(v_anchor_sound, false);
    for v_i in 1 .. coalesce(cardinality(v_first), 0) loop
      -- Ranges in order, apart, and all before the anchor that lists them.
      if v_last[v_i] >= v_anchor_seq or (v_i > 1 and v_first[v_i] <= v_last[v_i - 1]) then
        v_anchor_sound := false;
      end if;
    end loop;
  end if;

  if v_anchor_sound then
    -- A range must be verified whole or not at all.
    select i into v_split from generate_subscripts(v_first, 1) i
     where (v_first[i] < v_from and v_from <= v_last[i]) or (v_first[i] <= v_to and v_to < v_last[i])
     limit 1;
    if v_split is not null then
      raise exception 'from_seq, to_seq: seqs % to % left the log with a detached partition; a range starts at % or %, and ends at % or %',
        v_first[v_split], v_last[v_split], v_first[v_split], v_last[v_split] + 1, v_first[v_split] - 1, v_last[v_split]
        using errcode = '22023';
    end if;
    for v_i in 1 .. coalesce(cardinality(v_first), 0) loop
      if v_first[v_i] >= v_from and v_last[v_i] <= v_to then
        v_detached_rows := v_detached_rows + v_last[v_i] - v_first[v_i] + 1;
      end if;
    end loop;
  end if;

  -- The hash the first row must link to (its predecessor's, a row's or a
  -- range's end), and the hash the range must end with.
  v_anchor_hash := case
    when v_from = 1 then repeat('0', 64)
    else coalesce(
      (select min(l.hash) from auth.audit_logs l where l.seq = v_from - 1),
      (select min(v_last_hash[i]) from generate_subscripts(v_last, 1) i where v_anchor_sound and v_last[i] = v_from - 1)
    )
  end;
  v_end_hash := case
    when v_to = v_from - 1 then v_anchor_hash
    else coalesce(
      (select min(l.hash) from auth.audit_logs l where l.seq = v_to),
      (select min(v_last_hash[i]) from generate_subscripts(v_last, 1) i where v_anchor_sound and v_last[i] = v_to)
    )
  end;

  -- A fresh key from the strong random source: 62 random bits of a version 4 UUID.
  v_key := ('x' || right(replace(gen_random_uuid()::text, '-', ''), 16))::bit(64)::bigint;
  select c.row_count, c.first_mismatch, c.link_balance into checked_rows, v_mismatch_seq, v_balance
    from auth.audit_chain_check(v_from, v_to, v_key) c;
  if v_anchor_sound then
    for v_i in 1 .. coalesce(cardinality(v_first), 0) loop
      if v_first[v_i] >= v_from and v_last[v_i] <= v_to then
        v_detached_balance := v_detached_balance
          + auth.audit_chain_link_term(v_key, v_first[v_i], v_previous[v_i])
          - auth.audit_chain_link_term(v_key, v_last[v_i] + 1, v_last_hash[v_i]);
      end if;
    end loop;
  end if;

  v_passed := v_anchor_sound
    and v_mismatch_seq is null
    and checked_rows + v_detached_rows = v_to - v_from + 1
    and v_anchor_hash is not null
    and v_balance + v_detached_balance = auth.audit_chain_link_term(v_key, v_from, v_anchor_hash)::numeric
                                         - auth.audit_chain_link_term(v_key, v_to + 1, v_end_hash);
  if v_passed is not true then
    if not v_anchor_sound then
      v_broken_seq := v_anchor_seq;
      v_broken_why := 'broken anchor';
    else
      select b.seq, b.why into v_broken_seq, v_broken_why from auth.audit_chain_first_break(v_from, v_to, v_anchor_hash) b;
      if v_mismatch_seq is not null and (v_broken_seq is null or v_mismatch_seq < v_broken_seq) then
        v_broken_seq := v_mismatch_seq;
        v_broken_why := 'hash mismatch';
      end if;
      if v_broken_seq is null and checked_rows + v_detached_rows < v_to - v_from + 1 then
        -- Rows missing at the end of the range: the first absent seq is the break.
        v_broken_seq := greatest(
          (select max(l.seq) from auth.audit_logs l where l.seq between v_from and v_to),
          (select max(v_last[i]) from generate_subscripts(v_last, 1) i where v_first[i] >= v_from and v_last[i] <= v_to),
          v_from - 1
        ) + 1;
        v_broken_why := 'gap';
      end if;
      if v_broken_seq is null and v_anchor_hash is null then
        v_broken_seq := v_from;
        v_broken_why := 'gap';
      end if;
    end if;
    -- The walk finds every break the single pass can see; should it ever
    -- find none, the range is still reported broken, only not where.
    v_broken_why := coalesce(v_broken_why, 'broken link');
  end if;

  intact := v_passed is true;
  first_broken_seq := v_broken_seq;
  reason := v_broken_why;
  if not intact then
    perform pg_notify('audit_tampering_detected', json_build_object(
      'severity', 'critical',
      'first_broken_seq', first_broken_seq,
      'reason', reason,
      'from_seq', v_from,
      'to_seq', v_to
    )::text);
  end if;
  return next;
end;
$function$;
comment on function auth.verify_audit_chain(from_seq bigint, to_seq bigint) is '@behavior -*
Checks the chain from from_seq (default 1) to to_seq (default: the head) in one unordered pass: every row''s hash, and the links between rows and the detached ranges the latest anchor lists. Intact, or the first broken seq and why (gap, broken link, hash mismatch, broken anchor). A break is also announced with pg_notify(''audit_tampering_detected'', …). Links pending rows first.';

-- triggers

CREATE TRIGGER _050_closure BEFORE INSERT OR UPDATE ON auth.api_keys FOR EACH ROW EXECUTE FUNCTION auth.tg_api_keys_closure();
comment on trigger _050_closure on auth.api_keys is NULL;

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON auth.api_keys FOR EACH ROW EXECUTE FUNCTION auth.tg_set_updated_at();
comment on trigger _100_set_updated_at on auth.api_keys is NULL;

CREATE TRIGGER _900_audit AFTER INSERT OR DELETE OR UPDATE ON auth.api_keys FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_change('API_KEY', 'id');
comment on trigger _900_audit on auth.api_keys is NULL;

CREATE TRIGGER _100_prepare BEFORE INSERT ON auth.audit_logs FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_logs_prepare();
comment on trigger _100_prepare on auth.audit_logs is NULL;

CREATE TRIGGER _200_append_only BEFORE DELETE OR UPDATE ON auth.audit_logs FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_logs_append_only();
comment on trigger _200_append_only on auth.audit_logs is NULL;

CREATE TRIGGER _200_no_truncate BEFORE TRUNCATE ON auth.audit_logs FOR EACH STATEMENT EXECUTE FUNCTION auth.tg_audit_logs_append_only();
comment on trigger _200_no_truncate on auth.audit_logs is NULL;

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON auth.partition_policies FOR EACH ROW EXECUTE FUNCTION auth.tg_set_updated_at();
comment on trigger _100_set_updated_at on auth.partition_policies is NULL;

CREATE TRIGGER _050_closure BEFORE DELETE OR UPDATE OF tier ON auth.permissions FOR EACH ROW EXECUTE FUNCTION auth.tg_permissions_closure();
comment on trigger _050_closure on auth.permissions is NULL;

CREATE TRIGGER _900_audit AFTER INSERT OR DELETE OR UPDATE ON auth.permissions FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_change('PERMISSION', 'id');
comment on trigger _900_audit on auth.permissions is NULL;

CREATE TRIGGER _050_closure BEFORE INSERT OR DELETE ON auth.role_permissions FOR EACH ROW EXECUTE FUNCTION auth.tg_role_permissions_closure();
comment on trigger _050_closure on auth.role_permissions is NULL;

CREATE TRIGGER _900_audit AFTER INSERT OR DELETE OR UPDATE ON auth.role_permissions FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_change('PERMISSION_GRANT', 'role_id', 'permission_id');
comment on trigger _900_audit on auth.role_permissions is NULL;

CREATE TRIGGER _050_closure BEFORE DELETE OR UPDATE OF tier ON auth.roles FOR EACH ROW EXECUTE FUNCTION auth.tg_roles_closure();
comment on trigger _050_closure on auth.roles is NULL;

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON auth.roles FOR EACH ROW EXECUTE FUNCTION auth.tg_set_updated_at();
comment on trigger _100_set_updated_at on auth.roles is NULL;

CREATE TRIGGER _900_audit AFTER INSERT OR DELETE OR UPDATE ON auth.roles FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_change('ROLE', 'id');
comment on trigger _900_audit on auth.roles is NULL;

CREATE TRIGGER _050_closure BEFORE INSERT OR DELETE ON auth.user_roles FOR EACH ROW EXECUTE FUNCTION auth.tg_user_roles_closure();
comment on trigger _050_closure on auth.user_roles is NULL;

CREATE TRIGGER _200_set_assigner BEFORE INSERT ON auth.user_roles FOR EACH ROW EXECUTE FUNCTION auth.tg_user_roles_set_assigner();
comment on trigger _200_set_assigner on auth.user_roles is NULL;

CREATE TRIGGER _900_audit AFTER INSERT OR DELETE OR UPDATE ON auth.user_roles FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_change('ROLE_ASSIGNMENT', 'user_id', 'role_id');
comment on trigger _900_audit on auth.user_roles is NULL;

CREATE TRIGGER _050_closure BEFORE UPDATE OF status ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.tg_users_closure();
comment on trigger _050_closure on auth.users is NULL;

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.tg_set_updated_at();
comment on trigger _100_set_updated_at on auth.users is NULL;

CREATE TRIGGER _900_audit AFTER INSERT OR DELETE OR UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.tg_audit_change('USER', 'id');
comment on trigger _900_audit on auth.users is NULL;

-- policies

create policy api_keys_select on auth.api_keys as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('api_keys'::text, 'read'::auth.permission_action) AS has_permission));
comment on policy api_keys_select on auth.api_keys is 'api_keys:read lists keys (never their hashes: that column is not granted).';

create policy audit_logs_select on auth.audit_logs as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('audit_logs'::text, 'read'::auth.permission_action) AS has_permission));
comment on policy audit_logs_select on auth.audit_logs is 'audit_logs:read reads the audit trail. No policy allows changing it.';

create policy permissions_delete on auth.permissions as permissive for delete to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('auth_config'::text, 'delete'::auth.permission_action) AS has_permission));
comment on policy permissions_delete on auth.permissions is 'auth_config:delete removes permissions.';

create policy permissions_insert on auth.permissions as permissive for insert to :AUTH_USER, :AUTH_SERVICE
  with check (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission));
comment on policy permissions_insert on auth.permissions is 'auth_config:write adds permissions.';

create policy permissions_select on auth.permissions as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (true);
comment on policy permissions_select on auth.permissions is 'The permission catalogue is readable by every authenticated caller.';

create policy permissions_update on auth.permissions as permissive for update to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission))
  with check (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission));
comment on policy permissions_update on auth.permissions is 'auth_config:write changes permission descriptions.';

create policy role_permissions_delete on auth.role_permissions as permissive for delete to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission));
comment on policy role_permissions_delete on auth.role_permissions is 'auth_config:write removes permissions from roles.';

create policy role_permissions_insert on auth.role_permissions as permissive for insert to :AUTH_USER, :AUTH_SERVICE
  with check ((( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission) AND (EXISTS ( SELECT 1
   FROM auth.permissions p
  WHERE ((p.id = role_permissions.permission_id) AND auth.has_permission(p.resource, p.action))))));
comment on policy role_permissions_insert on auth.role_permissions is 'auth_config:write adds permissions to roles, but only permissions the caller holds: no escalation through the catalogue.';

create policy role_permissions_select on auth.role_permissions as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (true);
comment on policy role_permissions_select on auth.role_permissions is 'What each role grants is readable by every authenticated caller.';

create policy roles_delete on auth.roles as permissive for delete to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('auth_config'::text, 'delete'::auth.permission_action) AS has_permission));
comment on policy roles_delete on auth.roles is 'auth_config:delete removes roles.';

create policy roles_insert on auth.roles as permissive for insert to :AUTH_USER, :AUTH_SERVICE
  with check (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission));
comment on policy roles_insert on auth.roles is 'auth_config:write creates roles.';

create policy roles_select on auth.roles as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (true);
comment on policy roles_select on auth.roles is 'The role catalogue is readable by every authenticated caller.';

create policy roles_update on auth.roles as permissive for update to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission))
  with check (( SELECT auth.has_permission('auth_config'::text, 'write'::auth.permission_action) AS has_permission));
comment on policy roles_update on auth.roles is 'auth_config:write changes roles.';

create policy security_events_select on auth.security_events as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('audit_logs'::text, 'read'::auth.permission_action) AS has_permission));
comment on policy security_events_select on auth.security_events is 'Security events are read with audit_logs:read.';

create policy user_roles_delete on auth.user_roles as permissive for delete to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('users'::text, 'admin'::auth.permission_action) AS has_permission));
comment on policy user_roles_delete on auth.user_roles is 'users:admin revokes roles.';

create policy user_roles_insert on auth.user_roles as permissive for insert to :AUTH_USER, :AUTH_SERVICE
  with check (( SELECT auth.has_permission('users'::text, 'admin'::auth.permission_action) AS has_permission));
comment on policy user_roles_insert on auth.user_roles is 'users:admin assigns roles.';

create policy user_roles_select on auth.user_roles as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (((user_id = ( SELECT auth.current_user_id() AS current_user_id)) OR ( SELECT auth.has_permission('users'::text, 'read'::auth.permission_action) AS has_permission)));
comment on policy user_roles_select on auth.user_roles is 'Everyone sees their own roles; users:read sees everyone''s.';

create policy users_delete on auth.users as permissive for delete to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('users'::text, 'delete'::auth.permission_action) AS has_permission));
comment on policy users_delete on auth.users is 'users:delete removes profiles.';

create policy users_select on auth.users as permissive for select to :AUTH_USER, :AUTH_SERVICE
  using (((id = ( SELECT auth.current_user_id() AS current_user_id)) OR ( SELECT auth.has_permission('users'::text, 'read'::auth.permission_action) AS has_permission)));
comment on policy users_select on auth.users is 'Everyone reads their own profile; users:read reads all.';

create policy users_update on auth.users as permissive for update to :AUTH_USER, :AUTH_SERVICE
  using (( SELECT auth.has_permission('users'::text, 'write'::auth.permission_action) AS has_permission))
  with check (( SELECT auth.has_permission('users'::text, 'write'::auth.permission_action) AS has_permission));
comment on policy users_update on auth.users is 'users:write changes profiles.';

-- grants

grant execute on function auth."current_user"() to :AUTH_ANONYMOUS;
grant execute on function auth."current_user"() to :AUTH_USER;
grant execute on function auth."current_user"() to :AUTH_SERVICE;
grant execute on function auth.acting_for_a_request() to :AUTH_USER;
grant execute on function auth.acting_for_a_request() to :AUTH_SERVICE;
grant execute on function auth.assign_role(user_id uuid, role_name text) to :AUTH_USER;
grant execute on function auth.assign_role(user_id uuid, role_name text) to :AUTH_SERVICE;
grant execute on function auth.chain_audit_logs(max_rows integer) to :AUTH_AUTHENTICATOR;
grant execute on function auth.create_api_key(name text, service_name text, tier auth.tier, permissions text[], expires_at timestamp with time zone) to :AUTH_USER;
grant execute on function auth.create_api_key(name text, service_name text, tier auth.tier, permissions text[], expires_at timestamp with time zone) to :AUTH_SERVICE;
grant execute on function auth.create_permission(resource text, action auth.permission_action, tier auth.tier, description text) to :AUTH_USER;
grant execute on function auth.create_permission(resource text, action auth.permission_action, tier auth.tier, description text) to :AUTH_SERVICE;
grant execute on function auth.create_role(name text, tier auth.tier, description text) to :AUTH_USER;
grant execute on function auth.create_role(name text, tier auth.tier, description text) to :AUTH_SERVICE;
grant execute on function auth.current_permissions() to :AUTH_ANONYMOUS;
grant execute on function auth.current_permissions() to :AUTH_USER;
grant execute on function auth.current_permissions() to :AUTH_SERVICE;
grant execute on function auth.current_user_id() to :AUTH_USER;
grant execute on function auth.current_user_id() to :AUTH_SERVICE;
grant execute on function auth.data_health(at timestamp with time zone) to :AUTH_AUTHENTICATOR;
grant execute on function auth.delete_role(name text) to :AUTH_USER;
grant execute on function auth.delete_role(name text) to :AUTH_SERVICE;
grant execute on function auth.delete_user(user_id uuid) to :AUTH_USER;
grant execute on function auth.delete_user(user_id uuid) to :AUTH_SERVICE;
grant execute on function auth.grant_permission(role_name text, resource text, action auth.permission_action) to :AUTH_USER;
grant execute on function auth.grant_permission(role_name text, resource text, action auth.permission_action) to :AUTH_SERVICE;
grant execute on function auth.has_permission(resource text, action auth.permission_action) to :AUTH_ANONYMOUS;
grant execute on function auth.has_permission(resource text, action auth.permission_action) to :AUTH_USER;
grant execute on function auth.has_permission(resource text, action auth.permission_action) to :AUTH_SERVICE;
grant execute on function auth.has_permissions(checks auth.permission_check[]) to :AUTH_ANONYMOUS;
grant execute on function auth.has_permissions(checks auth.permission_check[]) to :AUTH_USER;
grant execute on function auth.has_permissions(checks auth.permission_check[]) to :AUTH_SERVICE;
grant execute on function auth.record_denied_attempts(attempts jsonb) to :AUTH_AUTHENTICATOR;
grant execute on function auth.record_security_events(events jsonb) to :AUTH_AUTHENTICATOR;
grant execute on function auth.require_permission(resource text, action auth.permission_action, doing text) to :AUTH_USER;
grant execute on function auth.require_permission(resource text, action auth.permission_action, doing text) to :AUTH_SERVICE;
grant execute on function auth.revoke_api_key(id uuid) to :AUTH_USER;
grant execute on function auth.revoke_api_key(id uuid) to :AUTH_SERVICE;
grant execute on function auth.revoke_permission(role_name text, resource text, action auth.permission_action) to :AUTH_USER;
grant execute on function auth.revoke_permission(role_name text, resource text, action auth.permission_action) to :AUTH_SERVICE;
grant execute on function auth.revoke_role(user_id uuid, role_name text) to :AUTH_USER;
grant execute on function auth.revoke_role(user_id uuid, role_name text) to :AUTH_SERVICE;
grant execute on function auth.rotate_api_key(id uuid, grace_seconds integer) to :AUTH_USER;
grant execute on function auth.rotate_api_key(id uuid, grace_seconds integer) to :AUTH_SERVICE;
grant execute on function auth.sync_current_user() to :AUTH_USER;
grant execute on function auth.update_user(user_id uuid, display_name text, status auth.user_status) to :AUTH_USER;
grant execute on function auth.update_user(user_id uuid, display_name text, status auth.user_status) to :AUTH_SERVICE;
grant execute on function auth.users_permissions(u auth.users) to :AUTH_USER;
grant execute on function auth.users_permissions(u auth.users) to :AUTH_SERVICE;
grant execute on function auth.users_roles(u auth.users) to :AUTH_USER;
grant execute on function auth.users_roles(u auth.users) to :AUTH_SERVICE;
grant execute on function auth.verify_api_key(key text) to :AUTH_ANONYMOUS;
grant execute on function auth.verify_api_key(key text) to :AUTH_USER;
grant execute on function auth.verify_api_key(key text) to :AUTH_SERVICE;
grant usage on schema auth to :AUTH_AUTHENTICATOR;
grant usage on schema auth to :AUTH_ANONYMOUS;
grant usage on schema auth to :AUTH_USER;
grant usage on schema auth to :AUTH_SERVICE;
grant select on table auth.api_keys to :AUTH_USER; -- column created_at
grant select on table auth.api_keys to :AUTH_SERVICE; -- column created_at
grant select on table auth.api_keys to :AUTH_USER; -- column created_by
grant select on table auth.api_keys to :AUTH_SERVICE; -- column created_by
grant select on table auth.api_keys to :AUTH_USER; -- column expires_at
grant select on table auth.api_keys to :AUTH_SERVICE; -- column expires_at
grant select on table auth.api_keys to :AUTH_USER; -- column id
grant select on table auth.api_keys to :AUTH_SERVICE; -- column id
grant select on table auth.api_keys to :AUTH_USER; -- column is_active
grant select on table auth.api_keys to :AUTH_SERVICE; -- column is_active
grant select on table auth.api_keys to :AUTH_USER; -- column key_prefix
grant select on table auth.api_keys to :AUTH_SERVICE; -- column key_prefix
grant select on table auth.api_keys to :AUTH_USER; -- column last_used_at
grant select on table auth.api_keys to :AUTH_SERVICE; -- column last_used_at
grant select on table auth.api_keys to :AUTH_USER; -- column name
grant select on table auth.api_keys to :AUTH_SERVICE; -- column name
grant select on table auth.api_keys to :AUTH_USER; -- column permissions
grant select on table auth.api_keys to :AUTH_SERVICE; -- column permissions
grant select on table auth.api_keys to :AUTH_USER; -- column replaced_by
grant select on table auth.api_keys to :AUTH_SERVICE; -- column replaced_by
grant select on table auth.api_keys to :AUTH_USER; -- column revoked_at
grant select on table auth.api_keys to :AUTH_SERVICE; -- column revoked_at
grant select on table auth.api_keys to :AUTH_USER; -- column service_name
grant select on table auth.api_keys to :AUTH_SERVICE; -- column service_name
grant select on table auth.api_keys to :AUTH_USER; -- column tier
grant select on table auth.api_keys to :AUTH_SERVICE; -- column tier
grant select on table auth.api_keys to :AUTH_USER; -- column updated_at
grant select on table auth.api_keys to :AUTH_SERVICE; -- column updated_at
grant select on table auth.audit_logs to :AUTH_USER;
grant select on table auth.audit_logs to :AUTH_SERVICE;
grant insert on table auth.permissions to :AUTH_USER; -- column action
grant insert on table auth.permissions to :AUTH_SERVICE; -- column action
grant insert on table auth.permissions to :AUTH_USER; -- column description
grant insert on table auth.permissions to :AUTH_SERVICE; -- column description
grant insert on table auth.permissions to :AUTH_USER; -- column resource
grant insert on table auth.permissions to :AUTH_SERVICE; -- column resource
grant insert on table auth.permissions to :AUTH_USER; -- column tier
grant insert on table auth.permissions to :AUTH_SERVICE; -- column tier
grant select on table auth.permissions to :AUTH_USER;
grant select on table auth.permissions to :AUTH_SERVICE;
grant insert on table auth.role_permissions to :AUTH_USER; -- column permission_id
grant insert on table auth.role_permissions to :AUTH_SERVICE; -- column permission_id
grant insert on table auth.role_permissions to :AUTH_USER; -- column role_id
grant insert on table auth.role_permissions to :AUTH_SERVICE; -- column role_id
grant delete on table auth.role_permissions to :AUTH_USER;
grant delete on table auth.role_permissions to :AUTH_SERVICE;
grant select on table auth.role_permissions to :AUTH_USER;
grant select on table auth.role_permissions to :AUTH_SERVICE;
grant insert on table auth.roles to :AUTH_USER; -- column description
grant insert on table auth.roles to :AUTH_SERVICE; -- column description
grant insert on table auth.roles to :AUTH_USER; -- column name
grant insert on table auth.roles to :AUTH_SERVICE; -- column name
grant insert on table auth.roles to :AUTH_USER; -- column tier
grant insert on table auth.roles to :AUTH_SERVICE; -- column tier
grant delete on table auth.roles to :AUTH_USER;
grant delete on table auth.roles to :AUTH_SERVICE;
grant select on table auth.roles to :AUTH_USER;
grant select on table auth.roles to :AUTH_SERVICE;
grant select on table auth.security_events to :AUTH_USER;
grant select on table auth.security_events to :AUTH_SERVICE;
grant insert on table auth.user_roles to :AUTH_USER; -- column role_id
grant insert on table auth.user_roles to :AUTH_SERVICE; -- column role_id
grant insert on table auth.user_roles to :AUTH_USER; -- column user_id
grant insert on table auth.user_roles to :AUTH_SERVICE; -- column user_id
grant delete on table auth.user_roles to :AUTH_USER;
grant delete on table auth.user_roles to :AUTH_SERVICE;
grant select on table auth.user_roles to :AUTH_USER;
grant select on table auth.user_roles to :AUTH_SERVICE;
grant update on table auth.users to :AUTH_USER; -- column display_name
grant update on table auth.users to :AUTH_SERVICE; -- column display_name
grant update on table auth.users to :AUTH_USER; -- column status
grant update on table auth.users to :AUTH_SERVICE; -- column status
grant delete on table auth.users to :AUTH_USER;
grant delete on table auth.users to :AUTH_SERVICE;
grant select on table auth.users to :AUTH_USER;
grant select on table auth.users to :AUTH_SERVICE;
grant usage on type archive.exports to public;
grant usage on type auth.api_keys to public;
grant usage on type auth.audit_chain_head to public;
grant usage on type auth.audit_logs to public;
grant usage on type auth.audit_logs_default to public;
grant usage on type auth.audit_logs_y2026m12 to public;
grant usage on type auth.audit_logs_y2027m01 to public;
grant usage on type auth.audit_logs_y2027m02 to public;
grant usage on type auth.audit_logs_y2027m03 to public;
grant usage on type auth.job_runs to public;
grant usage on type auth.partition_policies to public;
grant usage on type auth.permissions to public;
grant usage on type auth.role_permissions to public;
grant usage on type auth.roles to public;
grant usage on type auth.security_events to public;
grant usage on type auth.security_events_default to public;
grant usage on type auth.security_events_p20261203 to public;
grant usage on type auth.security_events_p20261204 to public;
grant usage on type auth.security_events_p20261205 to public;
grant usage on type auth.security_events_p20261206 to public;
grant usage on type auth.security_events_p20261207 to public;
grant usage on type auth.security_events_p20261208 to public;
grant usage on type auth.security_events_p20261209 to public;
grant usage on type auth.security_events_p20261210 to public;
grant usage on type auth.user_roles to public;
grant usage on type auth.users to public;

-- default privileges

alter default privileges grant usage on types to :DATABASE_OWNER;
alter default privileges grant execute on functions to :DATABASE_OWNER;
