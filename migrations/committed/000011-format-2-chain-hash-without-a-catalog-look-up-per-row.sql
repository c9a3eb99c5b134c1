--! Previous: sha1:cf6920c31242eefb48f7e44c330642233e0df400
--! Hash: sha1:cad909fd7b6db7b0414dc0cf83c61bc4aac8f042
--! Message: format 2 chain hash without a catalog look-up per row

-- The format 2 chain hash without a catalog look-up per row.
--
-- Casting the result enum to text looks its label up in the system cache
-- for every row, about a twentieth of what verifying a row costs. A CASE
-- over the labels compares OIDs and yields the very same text, so every
-- hash stays byte for byte what it was and no row changes format; a label
-- added to the enum later falls through to the cast.

-- Format 2's digest, as before but for how the result's label is found.
create or replace function auth.audit_log_digest_v2(
  previous_hash text, seq bigint, id bigint, event_type text, action text, resource text, resource_id text,
  result auth.audit_result, detail jsonb, user_id text, actor_type text, ip_address inet, user_agent text,
  trace_id text, created_at timestamptz
) returns text
  language sql stable parallel safe
as $$
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
$$;
