--! Previous: sha1:d37d205582acf9c9a0a3aeb7722d49f0b8e14bbf
--! Hash: sha1:889ce556a9d3abdf804784975957de88df8375e4
--! Message: audit chain format 2

-- Audit chain format 2: a cheaper canonical form, and verification in two
-- passes so the hashing can run on every core.
--
-- Format 1 serialized a row as a JSON array with the timestamp through
-- to_char (about 7 µs a row here), so a million rows took nine seconds to
-- verify. Format 2 hashes the binary send form of the same columns
-- (record_send: each column's length and bytes, its type's wire format for
-- numbers, the address and the timestamp), about 1 µs. Rows keep the format
-- they were linked with: chain_format says which (1 for every row linked
-- before this migration), and verification recomputes each row in its own.

do $$
begin
  -- Format 2 hashes text as the database stores it; the chain is defined over UTF-8.
  if pg_encoding_to_char((select encoding from pg_database where datname = current_database())) <> 'UTF8' then
    raise exception 'auth-db needs a UTF8 database; this one is %',
      pg_encoding_to_char((select encoding from pg_database where datname = current_database()));
  end if;
end;
$$;

drop function if exists auth.audit_chain_hash_check(bigint, bigint);
drop function if exists auth.audit_log_digest_v2(
  text, bigint, bigint, text, text, text, text, auth.audit_result, jsonb, text, text, inet, text, text, timestamptz
) cascade;
alter table auth.audit_logs drop column if exists chain_format;

-- Every row linked before this migration reads as format 1 (a constant
-- default costs no table rewrite); rows linked from now on are format 2.
alter table auth.audit_logs
  add column chain_format smallint not null default 1 constraint audit_logs_chain_format_check check (chain_format in (1, 2));
alter table auth.audit_logs alter column chain_format set default 2;
comment on column auth.audit_logs.chain_format is
  E'@behavior -*\nThe canonical form this row''s hash was computed with: 1 (a JSON array) or 2 (the binary send form).';

create function auth.audit_log_digest_v2(
  previous_hash text, seq bigint, id bigint, event_type text, action text, resource text, resource_id text,
  result auth.audit_result, detail jsonb, user_id text, actor_type text, ip_address inet, user_agent text,
  trace_id text, created_at timestamptz
) returns text
  language sql stable parallel safe
as $$
  select encode(sha256(record_send(row(
    previous_hash, seq, id, event_type, action, resource, resource_id, result::text, detail,
    user_id, actor_type, ip_address, user_agent, trace_id, created_at
  ))), 'hex')
$$;
comment on function auth.audit_log_digest_v2(
  text, bigint, bigint, text, text, text, text, auth.audit_result, jsonb, text, text, inet, text, text, timestamptz
) is E'@behavior -*\nThe format 2 chain hash of an audit row: SHA-256 of the binary send form of the previous hash and every other column (the result as text, so no database-specific type id enters it). Text is sent in the client encoding, so callers run with client_encoding UTF8 (verify_audit_chain and chain_audit_logs set it). Stable, not immutable: it depends on client_encoding, and record_send is stable, which an immutable function could not inline.';

-- Format 1 is only ever recomputed by verification now; the row-typed wrapper has no caller left.
drop function if exists auth.audit_log_hash(text, auth.audit_logs);

-- The chainer may fill chain_format as well as the chain columns. The
-- check that nothing else changed compares the rows themselves with the
-- chain columns copied over, instead of two jsonb conversions per row.
create or replace function auth.tg_audit_logs_append_only() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
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
$$;

-- The chainer as before (one cursor, written back 1000 rows at a time),
-- linking in format 2.
create or replace function auth.chain_audit_logs(max_rows integer default 10000) returns integer
  language plpgsql volatile security definer
  set search_path = pg_catalog
  set client_encoding = 'UTF8'
as $$
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
$$;

-- Pass 1 of verification on its own: a SELECT INTO in PL/pgSQL never runs
-- in parallel (it asks for at most a row or two), a RETURN QUERY may.
-- The aggregate has a FILTER so that min(seq) does not turn into an
-- ordered index scan.
create function auth.audit_chain_hash_check(from_seq bigint, to_seq bigint)
  returns table (row_count bigint, first_mismatch bigint)
  language plpgsql stable
  set search_path = pg_catalog
  set client_encoding = 'UTF8'
as $$
begin
  return query
  select count(*), min(l.seq) filter (where l.hash is distinct from case l.chain_format
           when 2 then auth.audit_log_digest_v2(l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource,
             l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
           else auth.audit_log_digest(l.previous_hash, l.seq, l.id, l.event_type, l.action, l.resource,
             l.resource_id, l.result, l.detail, l.user_id, l.actor_type, l.ip_address, l.user_agent, l.trace_id, l.created_at)
         end)
    from auth.audit_logs l
   where l.seq between from_seq and to_seq;
end;
$$;
comment on function auth.audit_chain_hash_check(bigint, bigint) is
  E'@behavior -*\nRows in a seq range and the first whose hash does not match its columns: pass 1 of verify_audit_chain.';

-- Verification in two passes. Recomputing each row's hash needs no order,
-- so PostgreSQL may spread it over parallel workers; the ordered walk then
-- only compares neighbours (gaps and links), which is cheap. The first
-- break is the earlier of the two, a gap or broken link winning a tie as
-- in the single pass before.
create or replace function auth.verify_audit_chain(from_seq bigint default null, to_seq bigint default null)
  returns table (
    intact boolean,
    first_broken_seq bigint,
    reason text,
    checked_rows bigint,
    head_seq bigint,
    head_hash text
  )
  language plpgsql volatile security definer
  set search_path = pg_catalog
  set client_encoding = 'UTF8'
as $$
declare
  v_from bigint;
  v_to bigint;
  v_anchor_hash text;
  v_mismatch_seq bigint;
  v_broken_seq bigint;
  v_broken_why text;
begin
  perform auth.chain_audit_logs(1000000);
  select h.seq, h.hash into head_seq, head_hash from auth.audit_chain_head h;
  v_from := coalesce(
    from_seq,
    (select min(l.seq) from auth.audit_logs l),
    (select max(c.seq) + 1 from auth.audit_chain_checkpoints c),
    1
  );
  v_to := coalesce(to_seq, head_seq);
  if v_from < 1 or v_to < v_from - 1 then
    raise exception 'from_seq, to_seq: expected 1 <= from <= to + 1, got % and %', v_from, v_to using errcode = '22023';
  end if;

  -- The hash the first row must link to: its predecessor's, from the table or a checkpoint.
  v_anchor_hash := case
    when v_from = 1 then repeat('0', 64)
    else coalesce(
      (select l.hash from auth.audit_logs l where l.seq = v_from - 1),
      (select c.hash from auth.audit_chain_checkpoints c where c.seq = v_from - 1)
    )
  end;

  -- Pass 1, any order: every row's hash recomputed in the format it was linked with.
  select h.row_count, h.first_mismatch into checked_rows, v_mismatch_seq
    from auth.audit_chain_hash_check(v_from, v_to) h;

  -- Pass 2, in seq order: each row against its predecessor. The n-th row
  -- must have seq from + n - 1 (row_number costs less than a second lag).
  select case when w.why = 'gap' then w.expected_seq else w.seq end, w.why
    into v_broken_seq, v_broken_why
    from (
      select l.seq,
             v_from - 1 + row_number() over w as expected_seq,
             case
               when l.seq <> v_from - 1 + row_number() over w then 'gap'
               when l.previous_hash is distinct from coalesce(lag(l.hash) over w, v_anchor_hash) then 'broken link'
             end as why
        from auth.audit_logs l
       where l.seq between v_from and v_to
      window w as (order by l.seq)
    ) w
   where w.why is not null
   order by w.seq
   limit 1;

  if v_mismatch_seq is not null and (v_broken_seq is null or v_mismatch_seq < v_broken_seq) then
    v_broken_seq := v_mismatch_seq;
    v_broken_why := 'hash mismatch';
  end if;
  if v_broken_seq is null and checked_rows < v_to - v_from + 1 then
    -- Rows missing at the end of the range: the first absent seq is the break.
    v_broken_seq := v_from + checked_rows;
    v_broken_why := 'gap';
  end if;
  if v_broken_seq is null and v_anchor_hash is null then
    v_broken_seq := v_from;
    v_broken_why := 'gap';
  end if;

  intact := v_broken_seq is null;
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
$$;
