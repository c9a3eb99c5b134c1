--! Previous: sha1:62a12133fd9896e6b1f3df654ec8e53f76f7a346
--! Hash: sha1:cbfe4f590f143af206e20ca0461bf76ce34c6e61
--! Message: api keys

-- API keys: issue, verify, authenticate, rotate, revoke. A key is shown once;
-- only its SHA-256 and a short prefix are stored. Services calling with a key
-- run as the service role, and auth.has_permission answers from the key's
-- own permission list, so every policy works for them unchanged.

drop function if exists auth.ensure_range_partition(regclass, text, timestamptz, timestamptz) cascade;
drop function if exists auth.ensure_security_event_partition(date) cascade;
drop function if exists auth.record_security_event(text, text, jsonb) cascade;
drop function if exists auth.new_api_key_secret() cascade;
drop function if exists auth._issue_api_key(text, text, auth.tier, text[], timestamptz, boolean) cascade;
drop function if exists auth.create_api_key(text, text, auth.tier, text[], timestamptz) cascade;
drop function if exists auth.verify_api_key(text) cascade;
drop function if exists auth._revoke_api_key(uuid) cascade;
drop function if exists auth.revoke_api_key(uuid) cascade;
drop function if exists auth._rotate_api_key(uuid, integer, boolean) cascade;
drop function if exists auth.rotate_api_key(uuid, integer) cascade;
drop function if exists auth.current_api_key_id() cascade;
drop function if exists auth.create_permission(text, auth.permission_action, auth.tier, text) cascade;
drop type if exists auth.issued_api_key cascade;
drop type if exists auth.api_key_verification cascade;
drop table if exists auth.security_events cascade;
drop index if exists auth.api_keys_key_prefix_idx;
alter table auth.api_keys drop column if exists revoked_at, drop column if exists replaced_by;
alter table auth.permissions drop column if exists tier;

--------------------------------------------------------------------------------
-- Partitions: one helper decides how a range partition is created.

create function auth.ensure_range_partition(
  parent regclass,
  partition_name text,
  lower_bound timestamptz,
  upper_bound timestamptz
) returns regclass
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if parent is null or partition_name is null or lower_bound is null or upper_bound is null then
    raise exception 'ensure_range_partition: every argument is required' using errcode = '22004';
  end if;
  if to_regclass(format('auth.%I', partition_name)) is null then
    execute format(
      'create table auth.%I partition of %s for values from (%L) to (%L)',
      partition_name, parent, lower_bound, upper_bound
    );
  end if;
  return format('auth.%I', partition_name)::regclass;
end;
$$;
comment on function auth.ensure_range_partition(regclass, text, timestamptz, timestamptz) is
  E'@behavior -*\nCreates the named range partition of `parent` unless it exists: the one place partitions are made.';

create or replace function auth.ensure_audit_log_partition(month date) returns regclass
  language plpgsql
  set search_path = pg_catalog
as $$
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
$$;

--------------------------------------------------------------------------------
-- Security events: failed verifications and other signs of abuse, by day

create table auth.security_events (
  id bigserial not null,
  type text not null check (type ~ '^[A-Z][A-Z0-9_]*$'),
  description text,
  user_id text,
  user_name text,
  client_id text,
  ip_address inet,
  user_agent text,
  detail jsonb not null default '{}' check (jsonb_typeof(detail) = 'object'),
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);
comment on table auth.security_events is
  E'@behavior -insert -update -delete\nSecurity-relevant events such as rejected credentials. Never holds a secret.';
create index security_events_created_at_idx on auth.security_events (created_at desc);
create index security_events_type_idx on auth.security_events (type, created_at desc);
create index security_events_ip_address_idx on auth.security_events (ip_address, created_at desc);
create table auth.security_events_default partition of auth.security_events default;

create function auth.ensure_security_event_partition(day date) returns regclass
  language plpgsql
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.ensure_security_event_partition(date) is
  E'@behavior -*\nCreates the security_events partition for one UTC day unless it exists.';

select auth.ensure_security_event_partition((now() at time zone 'UTC')::date + d)
  from generate_series(0, 7) as d;

alter table auth.security_events enable row level security;
grant select on auth.security_events to :AUTH_USER, :AUTH_SERVICE;
create policy security_events_select on auth.security_events for select to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('audit_logs', 'read')));
comment on policy security_events_select on auth.security_events is 'Security events are read with audit_logs:read.';

create function auth.record_security_event(type text, description text, detail jsonb) returns void
  language sql volatile
  set search_path = pg_catalog
as $$
  insert into auth.security_events (type, description, user_id, user_name, ip_address, user_agent, detail)
  values (
    type,
    description,
    nullif(current_setting('jwt.claims.sub', true), ''),
    nullif(current_setting('jwt.claims.preferred_username', true), ''),
    nullif(current_setting('request.ip', true), '')::inet,
    nullif(current_setting('request.user_agent', true), ''),
    coalesce(detail, '{}')
      || jsonb_strip_nulls(jsonb_build_object('trace_id', nullif(current_setting('request.trace_id', true), '')))
  )
$$;
comment on function auth.record_security_event(text, text, jsonb) is
  E'@behavior -*\nRecords a security event with the request''s actor, ip, user agent and trace id.';

--------------------------------------------------------------------------------
-- Tiers of permissions: a key holds only permissions of its own tier or below

alter table auth.permissions add column tier auth.tier not null default 'system';
comment on column auth.permissions.tier is
  'The lowest key tier that may hold this permission (system > business > service). The seeded resources are system.';

drop function if exists auth.create_permission(text, auth.permission_action, text) cascade;
create function auth.create_permission(
  resource text,
  action auth.permission_action,
  tier auth.tier default 'business',
  description text default null
) returns auth.permissions
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_permission auth.permissions;
begin
  perform auth.require_permission('auth_config', 'write', 'creating a permission');
  insert into auth.permissions (resource, action, tier, description) values (resource, action, tier, description)
  returning * into v_permission;
  return v_permission;
end;
$$;
comment on function auth.create_permission(text, auth.permission_action, auth.tier, text) is
  'Adds a (resource, action) permission of a tier to the catalogue (needs auth_config:write).';
grant execute on function auth.create_permission(text, auth.permission_action, auth.tier, text) to :AUTH_USER, :AUTH_SERVICE;

--------------------------------------------------------------------------------
-- Keys

alter table auth.api_keys
  add column revoked_at timestamptz,
  add column replaced_by uuid references auth.api_keys (id) on delete set null;
comment on column auth.api_keys.revoked_at is 'From this moment the key is refused (set by revoke, or by rotate after its grace period).';
comment on column auth.api_keys.replaced_by is 'The key that rotation issued in this one''s place.';
create index api_keys_key_prefix_idx on auth.api_keys (key_prefix);
create index api_keys_replaced_by_idx on auth.api_keys (replaced_by);

create type auth.issued_api_key as (
  key_id uuid,
  key text,
  key_prefix text,
  name text,
  service_name text,
  tier auth.tier,
  permissions jsonb,
  expires_at timestamptz
);
comment on type auth.issued_api_key is 'A newly issued key. `key` is the secret: it is shown this once and stored nowhere.';

create type auth.api_key_verification as (
  valid boolean,
  code text,
  key_id uuid,
  service_name text,
  tier auth.tier,
  permissions jsonb
);
comment on type auth.api_key_verification is
  'The answer to a key verification: code is VALID, NOT_FOUND, EXPIRED, REVOKED or MALFORMED; the key''s id, service, tier and permissions only when valid.';

create function auth.new_api_key_secret() returns text
  language sql volatile
  set search_path = pg_catalog
as $$
  -- 3 × 122 random bits from the server's CSPRNG (gen_random_uuid), folded by
  -- SHA-256 into 256 bits, base64url without padding: 43 characters.
  select 'adb_' || translate(
    encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'base64'),
    '+/=', '-_'
  )
$$;
comment on function auth.new_api_key_secret() is
  E'@behavior -*\nA new random key: "adb_" and 43 base64url characters (256 bits). Core PostgreSQL only, no pgcrypto.';

create function auth._issue_api_key(
  name text,
  service_name text,
  tier auth.tier,
  permissions text[],
  expires_at timestamptz,
  check_caller boolean
) returns auth.issued_api_key
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_wanted text;
  v_permission auth.permissions;
  v_key text := auth.new_api_key_secret();
  v_row auth.api_keys;
begin
  if tier is null then
    raise exception 'tier: required' using errcode = '22023';
  end if;
  if expires_at is not null and expires_at <= now() then
    raise exception 'expiresAt: must be in the future' using errcode = '22023';
  end if;
  foreach v_wanted in array coalesce(permissions, '{}') loop
    if v_wanted is null or v_wanted !~ '^[a-z][a-z0-9_]*:(read|write|delete|admin)$' then
      raise exception 'permissions: "%" is not resource:action (action one of read, write, delete, admin)', v_wanted
        using errcode = '22023';
    end if;
    select * into v_permission from auth.permissions p
     where p.resource = split_part(v_wanted, ':', 1) and p.action::text = split_part(v_wanted, ':', 2);
    if not found then
      raise exception 'permissions: no permission % in the catalogue', v_wanted using errcode = '22023';
    end if;
    if v_permission.tier < _issue_api_key.tier then
      raise exception 'permissions: % is a % permission; a % key may hold only permissions of tier % or below',
        v_wanted, v_permission.tier, _issue_api_key.tier, _issue_api_key.tier
        using errcode = '22023';
    end if;
    if check_caller and not auth.has_permission(v_permission.resource, v_permission.action) then
      raise exception 'permission denied: a key cannot be given %, which you do not hold', v_wanted
        using errcode = '42501';
    end if;
  end loop;

  insert into auth.api_keys (name, key_hash, key_prefix, service_name, tier, permissions, expires_at, created_by)
  values (
    name,
    sha256(convert_to(v_key, 'UTF8')),
    left(v_key, 10),
    service_name,
    tier,
    coalesce((select jsonb_agg(distinct p order by p) from unnest(permissions) as p), '[]'),
    expires_at,
    auth.current_user_id()
  )
  returning * into v_row;
  return row(v_row.id, v_key, v_row.key_prefix, v_row.name, v_row.service_name, v_row.tier, v_row.permissions, v_row.expires_at)::auth.issued_api_key;
end;
$$;
comment on function auth._issue_api_key(text, text, auth.tier, text[], timestamptz, boolean) is
  E'@behavior -*\nIssues a key after validating every permission: it must exist, be of the key''s tier or below (the tier ceiling), and, when check_caller, be held by the caller. Operators (npm run api-key) call it without check_caller as the owner.';

create function auth.create_api_key(
  name text,
  service_name text,
  tier auth.tier default 'service',
  permissions text[] default '{}',
  expires_at timestamptz default null
) returns auth.issued_api_key
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('api_keys', 'write', 'issuing an API key');
  return auth._issue_api_key(name, service_name, tier, permissions, expires_at, true);
end;
$$;
comment on function auth.create_api_key(text, text, auth.tier, text[], timestamptz) is
  'Issues an API key for a service (needs api_keys:write, and every permission given to the key). The returned `key` is shown once and never stored. Definer: callers may not write api_keys directly.';

create function auth.verify_api_key(key text) returns auth.api_key_verification
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  v_row auth.api_keys;
  v_code text;
begin
  if key is null or key !~ '^adb_[A-Za-z0-9_-]{43}$' then
    v_code := 'MALFORMED';
  else
    -- One index lookup by hash, whatever the number of keys.
    select * into v_row from auth.api_keys k where k.key_hash = sha256(convert_to(key, 'UTF8'));
    if not found then
      v_code := 'NOT_FOUND';
    elsif not v_row.is_active or v_row.revoked_at <= now() then
      v_code := 'REVOKED';
    elsif v_row.expires_at <= now() then
      v_code := 'EXPIRED';
    else
      v_code := 'VALID';
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
    return row(true, v_code, v_row.id, v_row.service_name, v_row.tier, v_row.permissions)::auth.api_key_verification;
  end if;

  perform auth.record_security_event(
    'API_KEY_REJECTED',
    format('API key verification failed: %s', v_code),
    jsonb_strip_nulls(jsonb_build_object(
      'code', v_code,
      'key_prefix', regexp_replace(left(coalesce(key, ''), 10), '[^\x21-\x7e]', '?', 'g'),
      'key_id', v_row.id
    ))
  );
  return row(false, v_code, null, null, null, null)::auth.api_key_verification;
end;
$$;
comment on function auth.verify_api_key(text) is
  'Verifies an API key: VALID with the key''s id, service, tier and permissions, or NOT_FOUND, EXPIRED, REVOKED, MALFORMED. Failures are recorded as security events with the key''s prefix, never the key.';

create function auth._revoke_api_key(id uuid) returns auth.api_keys
  language plpgsql volatile
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth._revoke_api_key(uuid) is E'@behavior -*\nRevokes a key at once.';

create function auth.revoke_api_key(id uuid) returns auth.api_keys
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('api_keys', 'write', 'revoking an API key');
  return auth._revoke_api_key(id);
end;
$$;
comment on function auth.revoke_api_key(uuid) is 'Revokes an API key immediately (needs api_keys:write).';

create function auth._rotate_api_key(id uuid, grace_seconds integer, check_caller boolean) returns auth.issued_api_key
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_old auth.api_keys;
  v_new auth.issued_api_key;
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
    v_old.expires_at, check_caller
  );
  update auth.api_keys k
     set revoked_at = now() + make_interval(secs => grace_seconds),
         is_active = grace_seconds > 0,
         replaced_by = v_new.key_id
   where k.id = v_old.id;
  return v_new;
end;
$$;
comment on function auth._rotate_api_key(uuid, integer, boolean) is
  E'@behavior -*\nIssues a new secret with the same name, service, tier, permissions and expiry; the old key keeps working for grace_seconds, then is refused as REVOKED.';

create function auth.rotate_api_key(id uuid, grace_seconds integer default 0) returns auth.issued_api_key
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('api_keys', 'write', 'rotating an API key');
  return auth._rotate_api_key(id, grace_seconds, true);
end;
$$;
comment on function auth.rotate_api_key(uuid, integer) is
  'Gives an API key a new secret (needs api_keys:write and the key''s permissions); the old secret stays valid for graceSeconds (default 0), then stops.';

--------------------------------------------------------------------------------
-- Services: the caller's permissions come from the verified key

create function auth.current_api_key_id() returns uuid
  language sql stable
  set search_path = pg_catalog
as $$
  select nullif(current_setting('api_key.id', true), '')::uuid
$$;
comment on function auth.current_api_key_id() is
  E'@behavior -*\nThe id of the API key this request was authenticated with, or null.';

create or replace function auth.has_permission(resource text, action auth.permission_action) returns boolean
  language sql stable security definer
  set search_path = pg_catalog
as $$
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
$$;

create or replace function auth.current_permissions() returns table (resource text, action auth.permission_action)
  language sql stable security definer
  set search_path = pg_catalog
as $$
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
$$;

--------------------------------------------------------------------------------
-- Grants and policies for keys. The hash is not readable by any request role.

grant execute on function auth.current_api_key_id() to :AUTH_ANONYMOUS, :AUTH_USER, :AUTH_SERVICE;
grant execute on function auth.verify_api_key(text) to :AUTH_AUTHENTICATOR, :AUTH_ANONYMOUS, :AUTH_USER, :AUTH_SERVICE;
grant execute on function
  auth.create_api_key(text, text, auth.tier, text[], timestamptz),
  auth.revoke_api_key(uuid),
  auth.rotate_api_key(uuid, integer)
  to :AUTH_USER, :AUTH_SERVICE;
grant select (
  id, name, key_prefix, service_name, tier, permissions, expires_at, last_used_at, is_active,
  created_by, created_at, updated_at, revoked_at, replaced_by
) on auth.api_keys to :AUTH_USER, :AUTH_SERVICE;

comment on table auth.api_keys is
  E'@behavior -insert -update -delete\nA credential for a service. The key itself is shown once at creation and never stored.';

drop policy if exists api_keys_select on auth.api_keys;
create policy api_keys_select on auth.api_keys for select to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('api_keys', 'read')));
comment on policy api_keys_select on auth.api_keys is 'api_keys:read lists keys (never their hashes: that column is not granted).';
