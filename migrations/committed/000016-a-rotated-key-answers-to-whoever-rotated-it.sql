--! Previous: sha1:fb6596ef94438b86150238b4f734cda84aa0262d
--! Hash: sha1:6ea882e0938308a282a0594495fedc9cdad5726c
--! Message: a rotated key answers to whoever rotated it

-- A rotated key answers to whoever rotated it.
--
-- Rotation kept the replaced key's issuer, so a caller holding api_keys:write
-- and the key's permissions could rotate an operator's key and walk away with
-- a secret no longer bounded by its own standing (and not ended with the
-- caller's key). Now the replacement is issued by the caller, like any key the
-- caller creates. Two rotations keep the original issuer: a key rotating
-- itself (its replacement would otherwise hang on the key it replaces), and an
-- operator's rotation (operators are the root of trust; a user's key rotated
-- by an operator stays bounded by that user).
-- The replaced key also expires when its grace ends, so a lookup that reads
-- only is_active and expires_at never finds it afterwards. An expiry must be a
-- finite time.

create or replace function auth._rotate_api_key(id uuid, grace_seconds integer) returns auth.issued_api_key
  language plpgsql
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth._rotate_api_key(uuid, integer) is
  E'@behavior -*\nIssues a new secret with the same name, service, tier, permissions and expiry. Its issuer is the caller (who must hold every permission), except when a key rotates itself or an operator rotates a key: then it keeps the original issuer. The old key keeps working for grace_seconds, then expires and is refused as REVOKED.';

create or replace function auth._issue_api_key(
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
$$;
