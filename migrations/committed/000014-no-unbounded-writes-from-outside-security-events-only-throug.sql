--! Previous: sha1:cee7b880955794b14a1458bffeab3bc9f6a3da99
--! Hash: sha1:31da98e2f1987e6bbd835ae879b3b2b571e01315
--! Message: no unbounded writes from outside: security events only through the server's queue, refused mutations audited coalesced, batch writers skip invalid entries

-- No unbounded writes from outside (issue #21).
--
-- Security events are written only by the server's bounded queue
-- (auth.record_security_events): auth.verify_api_key no longer writes its
-- own, the server queues API_KEY_REJECTED instead. Refused mutations are
-- audited by the server as one ACCESS_DENIED row per caller, operation,
-- address and window, with a count (auth.record_denied_attempts), instead
-- of one row per refused field written by the request role itself
-- (auth.record_denied_attempt, dropped). Both batch writers store every
-- valid entry of a batch: an invalid field is left out, an invalid entry
-- skipped, so one bad event can no longer fail the others.

drop function if exists auth.record_denied_attempt(text, text, text) cascade;
drop function if exists auth.record_denied_attempts(jsonb) cascade;

--------------------------------------------------------------------------------
-- verify_api_key: the same decision (auth.api_key_standing), without the
-- synchronous event write

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

  return row(false, v_code, null, null, null, null)::auth.api_key_verification;
end;
$$;
comment on function auth.verify_api_key(text) is
  'Verifies an API key: VALID with the key''s id, service, tier and what it holds now (its permissions, admin expanded, narrowed by its issuer''s), or NOT_FOUND, EXPIRED, REVOKED (also when the key that issued it is), MALFORMED. It writes no security event itself (a caller could make it write without bound): the server queues failures, coalesced, with the key''s prefix, never the key.';

--------------------------------------------------------------------------------
-- Security events: every valid event of a batch is stored

create or replace function auth.record_security_events(events jsonb) returns integer
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.record_security_events(jsonb) is
  E'@behavior -*\nInserts a batch of security events collected by the server''s bounded queue (rejected credentials, coalesced refusals), the only writer of security events. Returns how many were stored: invalid entries are skipped and invalid fields left out, so one bad event never drops the others.';
revoke execute on function auth.record_security_events(jsonb) from public;
grant execute on function auth.record_security_events(jsonb) to :AUTH_AUTHENTICATOR;

--------------------------------------------------------------------------------
-- Refused mutations: one ACCESS_DENIED row per caller, operation, address and window

create function auth.record_denied_attempts(attempts jsonb) returns integer
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.record_denied_attempts(jsonb) is
  E'@behavior -*\nAudits refused mutations as ACCESS_DENIED rows (result DENIED), one per caller, operation, address and window with its count, written by the server after the refused transactions rolled back. Only the server''s role may call it, since it names the actor. Returns how many rows were stored; invalid entries are skipped.';
revoke execute on function auth.record_denied_attempts(jsonb) from public;
grant execute on function auth.record_denied_attempts(jsonb) to :AUTH_AUTHENTICATOR;

-- Nothing calls the single-event writer any more: every event goes through the queue.
drop function if exists auth.record_security_event(text, text, jsonb);
