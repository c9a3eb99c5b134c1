--! Previous: sha1:cad909fd7b6db7b0414dc0cf83c61bc4aac8f042
--! Hash: sha1:8964aa7aa36e3149c6083aed0dda9426e6c5abf7
--! Message: authorization invariants: closure, symmetry, tiers, derived keys

-- Authorization invariants, enforced where the data changes.
--
-- Closure: no caller makes any principal (a user through a role, a role
-- through a grant, an API key at issue or rotation, a user by reactivation)
-- hold a permission the caller does not hold at that moment.
-- Symmetry: no caller takes from a principal a permission the caller does not
-- hold (revoking a role or a grant, deleting a role or permission, revoking or
-- rotating a key, suspending or deleting a user).
-- Tiers: a role, like a key, holds only permissions of its own tier or below.
-- Derived keys: a key never holds more than what issued it holds now, and
-- never outlives the key that issued it.
--
-- Closure and symmetry are checked by triggers on the tables that say who
-- holds what, so every path (the mutations, direct DML the grants allow,
-- cascades) meets the same rule. They bind requests, not operators: the
-- schema owner's CLIs are the root of trust that hands out the first roles.

drop trigger if exists _050_closure on auth.user_roles;
drop trigger if exists _050_closure on auth.role_permissions;
drop trigger if exists _050_closure on auth.roles;
drop trigger if exists _050_closure on auth.permissions;
drop trigger if exists _050_closure on auth.users;
drop trigger if exists _050_closure on auth.api_keys;
drop function if exists auth.tg_user_roles_closure() cascade;
drop function if exists auth.tg_role_permissions_closure() cascade;
drop function if exists auth.tg_roles_closure() cascade;
drop function if exists auth.tg_permissions_closure() cascade;
drop function if exists auth.tg_users_closure() cascade;
drop function if exists auth.tg_api_keys_closure() cascade;
drop function if exists auth.acting_for_a_request() cascade;
drop function if exists auth.implied_permissions(text[]) cascade;
drop function if exists auth.caller_held_permissions() cascade;
drop function if exists auth.role_held_permissions(uuid) cascade;
drop function if exists auth.user_role_permissions(uuid) cascade;
drop function if exists auth.require_caller_holds(text[], text) cascade;
drop function if exists auth.require_tier_fits(text, text, auth.tier, auth.tier, text) cascade;
drop function if exists auth.api_key_standing(auth.api_keys) cascade;
drop function if exists auth._issue_api_key(text, text, auth.tier, text[], timestamptz) cascade;
drop function if exists auth._rotate_api_key(uuid, integer) cascade;
drop type if exists auth.api_key_standing cascade;

--------------------------------------------------------------------------------
-- Who is acting, and what they hold

create function auth.acting_for_a_request() returns boolean
  language sql stable
  set search_path = pg_catalog
as $$
  select current_setting('role') in (':AUTH_ANONYMOUS', ':AUTH_USER', ':AUTH_SERVICE')
      or session_user = ':AUTH_AUTHENTICATOR'
$$;
comment on function auth.acting_for_a_request() is
  E'@behavior -*\nWhether this statement runs for a request (the server''s authenticator, or any session that switched to a request role), as opposed to an operator connected as the schema owner. SECURITY DEFINER does not change the `role` setting, so this holds inside definer functions too.';

create function auth.implied_permissions(permissions text[]) returns text[]
  language sql immutable
  set search_path = pg_catalog
as $$
  select coalesce(array_agg(distinct implied order by implied), '{}')
    from unnest(permissions) as p
    cross join lateral unnest(
      case when split_part(p, ':', 2) = 'admin'
        then array[split_part(p, ':', 1) || ':read', split_part(p, ':', 1) || ':write',
                   split_part(p, ':', 1) || ':delete', p]
        else array[p]
      end
    ) as implied
$$;
comment on function auth.implied_permissions(text[]) is
  E'@behavior -*\n"resource:action" strings with every `admin` expanded to the actions it implies, sorted and distinct: the form in which two sets of permissions are compared.';

create function auth.caller_held_permissions() returns text[]
  language sql stable
  set search_path = pg_catalog
as $$
  select coalesce(array_agg(resource || ':' || action order by 1), '{}') from auth.current_permissions()
$$;
comment on function auth.caller_held_permissions() is
  E'@behavior -*\nWhat the caller (a user through their roles, or a key through its verified permissions) holds now, admin expanded.';

create function auth.role_held_permissions(role_id uuid) returns text[]
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select auth.implied_permissions(array(
    select p.resource || ':' || p.action
      from auth.role_permissions rp
      join auth.permissions p on p.id = rp.permission_id
     where rp.role_id = role_held_permissions.role_id
  ))
$$;
comment on function auth.role_held_permissions(uuid) is
  E'@behavior -*\nEvery permission a role grants, admin expanded.';

create function auth.user_role_permissions(user_id uuid) returns text[]
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select auth.implied_permissions(array(
    select p.resource || ':' || p.action
      from auth.user_roles ur
      join auth.role_permissions rp on rp.role_id = ur.role_id
      join auth.permissions p on p.id = rp.permission_id
     where ur.user_id = user_role_permissions.user_id
  ))
$$;
comment on function auth.user_role_permissions(uuid) is
  E'@behavior -*\nEvery permission a user''s roles grant, admin expanded, whatever the user''s status: what the user holds while active.';

create function auth.require_caller_holds(permissions text[], doing text) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.require_caller_holds(text[], text) is
  E'@behavior -*\nThe one check behind closure and symmetry: a request may give or take only permissions its caller holds now. Raises 42501 naming the first missing permission (also in DETAIL). Operators, connected as the schema owner, are not requests.';

create function auth.require_tier_fits(
  argument text,
  permission text,
  permission_tier auth.tier,
  holder_tier auth.tier,
  holder text
) returns void
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  -- The enum runs from the highest tier (system) to the lowest (service).
  if permission_tier < holder_tier then
    raise exception '%: % is a % permission; % may hold only permissions of tier % or below',
      argument, permission, permission_tier, holder, holder_tier
      using errcode = '22023';
  end if;
end;
$$;
comment on function auth.require_tier_fits(text, text, auth.tier, auth.tier, text) is
  E'@behavior -*\nThe tier ceiling, for roles and keys alike: a holder of a tier holds only permissions of that tier or below. `argument` names the input the error is about.';

--------------------------------------------------------------------------------
-- Roles given and taken

create function auth.tg_user_roles_closure() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.tg_user_roles_closure() is
  'Trigger: giving or taking a role needs every permission the role grants (closure and symmetry).';
create trigger _050_closure before insert or delete on auth.user_roles
  for each row execute function auth.tg_user_roles_closure();

create function auth.tg_role_permissions_closure() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.tg_role_permissions_closure() is
  'Trigger: a role holds only permissions of its tier or below, and granting or revoking a permission needs that permission.';
create trigger _050_closure before insert or delete on auth.role_permissions
  for each row execute function auth.tg_role_permissions_closure();

create function auth.tg_roles_closure() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.tg_roles_closure() is
  'Trigger: deleting a role takes its permissions from every holder, so it needs all of them; a role''s tier cannot drop below a permission it holds.';
create trigger _050_closure before delete or update of tier on auth.roles
  for each row execute function auth.tg_roles_closure();

create function auth.tg_permissions_closure() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.tg_permissions_closure() is
  'Trigger: deleting a permission takes it from every holder, so it needs that permission; raising its tier cannot leave it with a holder of a lower tier.';
create trigger _050_closure before delete or update of tier on auth.permissions
  for each row execute function auth.tg_permissions_closure();

create function auth.tg_users_closure() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.tg_users_closure() is
  'Trigger: only active users hold permissions, so activating a user gives them, and suspending takes them: either needs every permission the user''s roles grant.';
create trigger _050_closure before update of status on auth.users
  for each row execute function auth.tg_users_closure();

--------------------------------------------------------------------------------
-- Keys: who issued them, and what they hold at use

alter table auth.api_keys
  add column if not exists issuer text not null default 'operator'
    check (issuer in ('operator', 'user', 'api_key')),
  add column if not exists issued_by_key uuid references auth.api_keys (id) on delete set null;
comment on column auth.api_keys.issuer is
  'Who issued the key: `operator` (the schema owner''s CLI), `user` (created_by) or `api_key` (issued_by_key). A key never holds more than its issuer holds now.';
comment on column auth.api_keys.issued_by_key is
  'The key that issued this one, when issuer is `api_key`. This key stops working when that one does.';
create index if not exists api_keys_issued_by_key_idx on auth.api_keys (issued_by_key);
-- Keys issued before issuers were recorded: those with a creator were a user's.
update auth.api_keys set issuer = 'user' where created_by is not null and issuer = 'operator';

create type auth.api_key_standing as (
  code text,
  permissions text[]
);
comment on type auth.api_key_standing is
  'A key''s state at use: VALID, REVOKED or EXPIRED (its own or an issuing key''s), and what it holds now.';

create function auth.api_key_standing(k auth.api_keys) returns auth.api_key_standing
  language plpgsql stable security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.api_key_standing(auth.api_keys) is
  E'@behavior -*\nWhat a key holds at the moment of use: its own permissions narrowed by its issuer''s current ones (a user''s roles while active, nothing once suspended or deleted; an issuing key''s standing, recursively). The one place that decides derived credentials.';

create function auth.tg_api_keys_closure() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.tg_api_keys_closure() is
  'Trigger: records who issued a key; a key holds only catalogue permissions of its tier or below that the issuing caller holds; revoking, rotating or changing a key needs every permission it holds; a key issued by a key expires no later than it.';
create trigger _050_closure before insert or update on auth.api_keys
  for each row execute function auth.tg_api_keys_closure();

-- Issuing and rotating: input validation here, the rules in the trigger above.
drop function if exists auth._issue_api_key(text, text, auth.tier, text[], timestamptz, boolean) cascade;
drop function if exists auth._rotate_api_key(uuid, integer, boolean) cascade;

create function auth._issue_api_key(
  name text,
  service_name text,
  tier auth.tier,
  permissions text[],
  expires_at timestamptz
) returns auth.issued_api_key
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_wanted text;
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
$$;
comment on function auth._issue_api_key(text, text, auth.tier, text[], timestamptz) is
  E'@behavior -*\nIssues a key after checking the form of its input; the api_keys trigger decides what it may hold. Operators (npm run api-key) call it as the schema owner.';

create function auth._rotate_api_key(id uuid, grace_seconds integer) returns auth.issued_api_key
  language plpgsql
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
    v_old.expires_at
  );
  update auth.api_keys k
     set revoked_at = now() + make_interval(secs => grace_seconds),
         is_active = grace_seconds > 0,
         replaced_by = v_new.key_id
   where k.id = v_old.id;
  -- Same credential, new secret: the new key answers to the old one's issuer.
  update auth.api_keys k
     set issuer = v_old.issuer, created_by = v_old.created_by, issued_by_key = v_old.issued_by_key
   where k.id = v_new.key_id;
  return v_new;
end;
$$;
comment on function auth._rotate_api_key(uuid, integer) is
  E'@behavior -*\nIssues a new secret with the same name, service, tier, permissions, expiry and issuer (the caller must hold every permission); the old key keeps working for grace_seconds, then is refused as REVOKED.';

create or replace function auth.create_api_key(
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
  return auth._issue_api_key(name, service_name, tier, permissions, expires_at);
end;
$$;

create or replace function auth.rotate_api_key(id uuid, grace_seconds integer default 0) returns auth.issued_api_key
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('api_keys', 'write', 'rotating an API key');
  return auth._rotate_api_key(id, grace_seconds);
end;
$$;

create or replace function auth.verify_api_key(key text) returns auth.api_key_verification
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
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
  'Verifies an API key: VALID with the key''s id, service, tier and what it holds now (its permissions, admin expanded, narrowed by its issuer''s), or NOT_FOUND, EXPIRED, REVOKED (also when the key that issued it is), MALFORMED. Failures are recorded as security events with the key''s prefix, never the key.';

-- The hash stays out of the schema: no root field looks a key up by it.
comment on constraint api_keys_key_hash_key on auth.api_keys is E'@behavior -*';

-- create_permission inserts the tier too.
grant insert (tier) on auth.permissions to :AUTH_USER, :AUTH_SERVICE;

-- Roles granted permissions above their tier before tiers bound roles lose
-- those grants (each removal is an audit row of this migration).
delete from auth.role_permissions rp
 using auth.roles r, auth.permissions p
 where r.id = rp.role_id and p.id = rp.permission_id and p.tier < r.tier;

-- Only the definer mutations and the triggers above call these.
revoke execute on function
  auth.acting_for_a_request(),
  auth.implied_permissions(text[]),
  auth.caller_held_permissions(),
  auth.role_held_permissions(uuid),
  auth.user_role_permissions(uuid),
  auth.require_caller_holds(text[], text),
  auth.require_tier_fits(text, text, auth.tier, auth.tier, text),
  auth.api_key_standing(auth.api_keys),
  auth._issue_api_key(text, text, auth.tier, text[], timestamptz),
  auth._rotate_api_key(uuid, integer),
  auth.tg_user_roles_closure(),
  auth.tg_role_permissions_closure(),
  auth.tg_roles_closure(),
  auth.tg_permissions_closure(),
  auth.tg_users_closure(),
  auth.tg_api_keys_closure()
  from public;

-- Operators, connected as the schema owner, may call the mutations' functions
-- in SQL (e.g. to grant a newly created permission, which no request caller
-- holds yet and so cannot grant): the gate binds requests only.
create or replace function auth.require_permission(resource text, action auth.permission_action, doing text) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if auth.acting_for_a_request() and not auth.has_permission(resource, action) then
    raise exception 'permission denied: % requires %:%', doing, resource, action
      using errcode = '42501', detail = format('%s:%s', resource, action);
  end if;
end;
$$;
comment on function auth.require_permission(text, auth.permission_action, text) is
  E'@behavior -*\nRaises a permission error naming the missing permission unless the caller holds it. Binds requests; operators connected as the schema owner pass.';
-- require_permission runs with the caller's rights inside invoker mutations.
grant execute on function auth.acting_for_a_request() to :AUTH_USER, :AUTH_SERVICE;
