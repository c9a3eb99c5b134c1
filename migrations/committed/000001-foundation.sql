--! Previous: -
--! Hash: sha1:c2d0467242c563eeae5fad7d14c58c78ff23ae09
--! Message: foundation

-- auth-db foundation: the `auth` schema, its tables and the seeded RBAC catalogue.
--
-- Everything here is owned by the migration role. The request roles
-- (:AUTH_ANONYMOUS, :AUTH_USER, :AUTH_SERVICE) get only what is granted
-- explicitly below, and every table has Row Level Security enabled, so a
-- table without a policy returns no rows to them.

drop schema if exists auth cascade;
create schema auth;
comment on schema auth is 'auth-db: user profiles linked to Keycloak, role-based access control, API keys and the audit trail.';

-- Only the server's authenticator may connect; the request roles are reached with SET ROLE.
revoke all on database :DATABASE_NAME from public;
grant connect on database :DATABASE_NAME to :AUTH_AUTHENTICATOR;

-- Functions are not executable by everyone unless granted.
alter default privileges in schema auth revoke execute on functions from public;

grant usage on schema auth to :AUTH_USER, :AUTH_SERVICE;

--------------------------------------------------------------------------------
-- Types

create type auth.tier as enum ('system', 'business', 'service');
comment on type auth.tier is 'Privilege tier of a role, permission or API key, highest first: system > business > service.';

create type auth.permission_action as enum ('read', 'write', 'delete', 'admin');
comment on type auth.permission_action is 'What a permission allows on its resource; admin implies every other action.';

create type auth.user_status as enum ('active', 'inactive', 'suspended');
comment on type auth.user_status is 'Only active users hold permissions.';

create type auth.audit_result as enum ('SUCCESS', 'FAILURE', 'DENIED');
comment on type auth.audit_result is 'Outcome of an audited operation.';

--------------------------------------------------------------------------------
-- updated_at

create function auth.tg_set_updated_at() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function auth.tg_set_updated_at() is
  'Trigger: stamps updated_at on every UPDATE, so the column is always true and never set by callers.';

--------------------------------------------------------------------------------
-- Users: the application-side profile of a Keycloak identity

create table auth.users (
  id uuid primary key default gen_random_uuid(),
  keycloak_sub text unique check (keycloak_sub <> '' and char_length(keycloak_sub) <= 255),
  username text not null check (username ~ '^\S{1,255}$'),
  email text check (email ~ '^[^@\s]+@[^@\s]+$' and char_length(email) <= 320),
  display_name text check (char_length(display_name) <= 255),
  status auth.user_status not null default 'active',
  last_login_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table auth.users is 'A person (or Keycloak service account) known to auth-db, linked to Keycloak by its `sub`.';
comment on column auth.users.keycloak_sub is 'The Keycloak subject (`sub` claim); empty until the person first signs in when created by an operator.';
comment on column auth.users.username is 'Keycloak `preferred_username`; unique regardless of case.';
comment on column auth.users.email is 'Unique regardless of case.';
comment on column auth.users.status is 'Inactive and suspended users hold no permissions.';
create unique index users_username_lower_key on auth.users (lower(username));
create unique index users_email_lower_key on auth.users (lower(email));
create trigger _100_set_updated_at before update on auth.users
  for each row execute function auth.tg_set_updated_at();

--------------------------------------------------------------------------------
-- Roles and permissions

create table auth.roles (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  description text,
  tier auth.tier not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table auth.roles is 'A named bundle of permissions that can be assigned to users.';
create trigger _100_set_updated_at before update on auth.roles
  for each row execute function auth.tg_set_updated_at();

create table auth.permissions (
  id uuid primary key default gen_random_uuid(),
  resource text not null check (resource ~ '^[a-z][a-z0-9_]{0,62}$'),
  action auth.permission_action not null,
  description text,
  created_at timestamptz not null default now(),
  constraint permissions_resource_action_key unique (resource, action)
);
comment on table auth.permissions is 'One action on one resource, e.g. users:read.';

create table auth.user_roles (
  user_id uuid not null references auth.users (id) on delete cascade,
  role_id uuid not null references auth.roles (id) on delete cascade,
  assigned_by uuid references auth.users (id) on delete set null,
  assigned_at timestamptz not null default now(),
  primary key (user_id, role_id)
);
comment on table auth.user_roles is 'Which user holds which role, who assigned it and when.';
create index user_roles_role_id_idx on auth.user_roles (role_id);
create index user_roles_assigned_by_idx on auth.user_roles (assigned_by);

create table auth.role_permissions (
  role_id uuid not null references auth.roles (id) on delete cascade,
  permission_id uuid not null references auth.permissions (id) on delete cascade,
  granted_at timestamptz not null default now(),
  primary key (role_id, permission_id)
);
comment on table auth.role_permissions is 'Which permissions a role grants.';
create index role_permissions_permission_id_idx on auth.role_permissions (permission_id);

--------------------------------------------------------------------------------
-- API keys: only a hash and a short prefix of each key are stored

create table auth.api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 255),
  key_hash bytea not null unique check (octet_length(key_hash) = 32),
  key_prefix text not null check (char_length(key_prefix) between 1 and 10),
  service_name text not null check (char_length(service_name) between 1 and 255),
  tier auth.tier not null default 'service',
  permissions jsonb not null default '[]' check (jsonb_typeof(permissions) = 'array'),
  expires_at timestamptz,
  last_used_at timestamptz,
  is_active boolean not null default true,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table auth.api_keys is 'A credential for a service. The key itself is shown once at creation and never stored.';
comment on column auth.api_keys.key_hash is E'@behavior -*\nSHA-256 of the key; never exposed.';
comment on column auth.api_keys.key_prefix is 'The first characters of the key, to recognise it in lists and logs.';
comment on column auth.api_keys.permissions is 'The key''s permissions as an array of "resource:action" strings.';
create index api_keys_created_by_idx on auth.api_keys (created_by);
create trigger _100_set_updated_at before update on auth.api_keys
  for each row execute function auth.tg_set_updated_at();

--------------------------------------------------------------------------------
-- Audit log: range-partitioned by month on created_at

create table auth.audit_logs (
  id bigserial not null,
  event_type text not null check (event_type <> ''),
  action text not null check (action <> ''),
  resource text,
  resource_id text,
  result auth.audit_result not null default 'SUCCESS',
  detail jsonb not null default '{}' check (jsonb_typeof(detail) = 'object'),
  user_id text,
  ip_address inet,
  user_agent text,
  trace_id text,
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);
comment on table auth.audit_logs is 'What happened to access control, who did it, from where, and with what outcome.';
comment on column auth.audit_logs.user_id is 'The actor: a Keycloak sub, an API key id, or a database role for changes made outside a request.';
comment on column auth.audit_logs.detail is 'What changed (before/after of changed columns); never secrets.';
create index audit_logs_created_at_idx on auth.audit_logs (created_at desc);
create index audit_logs_user_id_idx on auth.audit_logs (user_id, created_at desc);
create index audit_logs_event_type_idx on auth.audit_logs (event_type, created_at desc);
create index audit_logs_resource_idx on auth.audit_logs (resource, resource_id);
create index audit_logs_trace_id_idx on auth.audit_logs (trace_id) where trace_id is not null;

-- Rows outside every monthly partition land here instead of failing the insert.
create table auth.audit_logs_default partition of auth.audit_logs default;

create function auth.ensure_audit_log_partition(month date) returns regclass
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_start timestamp := date_trunc('month', month::timestamp);
  v_name text := format('audit_logs_y%sm%s', to_char(v_start, 'YYYY'), to_char(v_start, 'MM'));
begin
  if month is null then
    raise exception 'month must not be null' using errcode = '22004';
  end if;
  if to_regclass(format('auth.%I', v_name)) is null then
    execute format(
      'create table auth.%I partition of auth.audit_logs for values from (%L) to (%L)',
      v_name,
      v_start at time zone 'UTC',
      (v_start + interval '1 month') at time zone 'UTC'
    );
  end if;
  return format('auth.%I', v_name)::regclass;
end;
$$;
comment on function auth.ensure_audit_log_partition(date) is
  E'@behavior -*\nCreates the audit_logs partition for the UTC month containing `month` unless it exists; one place decides partition names and bounds.';

select auth.ensure_audit_log_partition((date_trunc('month', now() at time zone 'UTC') + make_interval(months => m))::date)
  from generate_series(0, 3) as m;

--------------------------------------------------------------------------------
-- Row Level Security: on for every table. Policies come with identity; until
-- then the request roles see no rows at all.

alter table auth.users enable row level security;
alter table auth.roles enable row level security;
alter table auth.permissions enable row level security;
alter table auth.user_roles enable row level security;
alter table auth.role_permissions enable row level security;
alter table auth.api_keys enable row level security;
alter table auth.audit_logs enable row level security;

grant select on auth.users, auth.roles, auth.permissions, auth.user_roles, auth.role_permissions
  to :AUTH_USER;

--------------------------------------------------------------------------------
-- Seed: the system roles, every default permission, and who holds what

insert into auth.roles (name, tier, description) values
  ('sys_admin', 'system', 'Full control of auth-db.'),
  ('sys_operator', 'system', 'Runs the platform: reads users, manages auth configuration and monitoring.'),
  ('sys_auditor', 'system', 'Reads everything except secrets; changes nothing.');

insert into auth.permissions (resource, action, description)
select resource, action, format('%s %s', initcap(replace(resource, '_', ' ')), action)
  from unnest(array['users', 'auth_config', 'audit_logs', 'api_gateway', 'vault_secrets', 'monitoring', 'api_keys']) as resource
  cross join unnest(enum_range(null::auth.permission_action)) as action;

insert into auth.role_permissions (role_id, permission_id)
select r.id, p.id
  from auth.roles r
  join auth.permissions p on
    case r.name
      when 'sys_admin' then true
      when 'sys_operator' then (p.resource, p.action::text) in (
        ('users', 'read'),
        ('auth_config', 'read'), ('auth_config', 'write'),
        ('audit_logs', 'read'),
        ('api_gateway', 'read'),
        ('vault_secrets', 'read'),
        ('monitoring', 'read'), ('monitoring', 'write'))
      when 'sys_auditor' then p.action = 'read' and p.resource not in ('vault_secrets', 'api_keys')
    end;
