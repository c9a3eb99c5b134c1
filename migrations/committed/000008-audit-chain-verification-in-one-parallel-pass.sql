--! Previous: sha1:889ce556a9d3abdf804784975957de88df8375e4
--! Hash: sha1:e81a762934be99d6d62fa24e3584836cd72e9869
--! Message: audit chain verification in one parallel pass

-- Audit chain verification in one parallel pass.
--
-- Until now verification recomputed every hash on parallel workers and then
-- walked the range in seq order in one process to compare neighbours; the
-- walk took about as long as the hashing. The links can be checked in the
-- same unordered pass instead: the range is intact exactly when every row's
-- hash recomputes, and the multiset of (seq, previous_hash) of its rows is
-- the multiset of (seq + 1, hash) shifted by one row: the range's anchor
-- enters at the bottom and the last row's hash leaves at the top. Both
-- multisets are summed through a 64-bit keyed hash whose key is drawn afresh
-- for every verification, so rows rewritten beforehand cannot be made to
-- balance. Only when a range fails that check does the ordered walk run, to
-- name the first break as before.

drop function if exists auth.audit_chain_hash_check(bigint, bigint);
drop function if exists auth.audit_chain_check(bigint, bigint, bigint);
drop function if exists auth.audit_chain_first_break(bigint, bigint, text);

-- One term of the link balance: a hash (or the empty string for none) at a
-- seq position, under the verification's key. Each position gets a key of
-- its own, so a value counts only at the position it was recorded for.
create or replace function auth.audit_chain_link_term(link_key bigint, seq bigint, hash text) returns bigint
  language sql immutable parallel safe
as $$
  select hashtextextended(coalesce(hash, ''), link_key # seq)
$$;
comment on function auth.audit_chain_link_term(bigint, bigint, text) is
  E'@behavior -*\nA hash at a seq position under a verification''s key: one term of the link balance of audit_chain_check.';

-- The single pass: row count, the first row whose hash does not recompute in
-- its own format, and the link balance (the (seq, previous_hash) terms minus
-- the (seq + 1, hash) terms). PL/pgSQL with RETURN QUERY, because a SELECT
-- INTO never runs on parallel workers.
create function auth.audit_chain_check(from_seq bigint, to_seq bigint, link_key bigint)
  returns table (row_count bigint, first_mismatch bigint, link_balance numeric)
  language plpgsql stable
  set search_path = pg_catalog
  set client_encoding = 'UTF8'
as $$
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
$$;
comment on function auth.audit_chain_check(bigint, bigint, bigint) is
  E'@behavior -*\nOne unordered pass over a seq range for verify_audit_chain: rows, the first hash that does not recompute, and the link balance under a key.';

-- The ordered walk: the first gap or broken link in a range, comparing each
-- row with its predecessor (the anchor for the first). The n-th row must
-- have seq from + n - 1 (row_number costs less than a second lag).
create function auth.audit_chain_first_break(from_seq bigint, to_seq bigint, anchor_hash text)
  returns table (seq bigint, why text)
  language sql stable
  set search_path = pg_catalog
as $$
  select case when w.why = 'gap' then w.expected_seq else w.seq end, w.why
    from (
      select l.seq,
             from_seq - 1 + row_number() over w as expected_seq,
             case
               when l.seq <> from_seq - 1 + row_number() over w then 'gap'
               when l.previous_hash is distinct from coalesce(lag(l.hash) over w, anchor_hash) then 'broken link'
             end as why
        from auth.audit_logs l
       where l.seq between from_seq and to_seq
      window w as (order by l.seq)
    ) w
   where w.why is not null
   order by w.seq
   limit 1
$$;
comment on function auth.audit_chain_first_break(bigint, bigint, text) is
  E'@behavior -*\nThe first gap or broken link of a seq range, walking it in order: run by verify_audit_chain only for a range that failed its single pass.';

-- Verification: the single pass decides; a range that fails it is walked to
-- name its first break. The first break is the earlier of the first hash
-- mismatch and the walk's finding, a gap or broken link winning a tie.
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
  v_last_hash text;
  v_key bigint;
  v_balance numeric;
  v_passed boolean;
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
      (select min(l.hash) from auth.audit_logs l where l.seq = v_from - 1),
      (select min(c.hash) from auth.audit_chain_checkpoints c where c.seq = v_from - 1)
    )
  end;
  v_last_hash := case
    when v_to = v_from - 1 then v_anchor_hash
    else (select min(l.hash) from auth.audit_logs l where l.seq = v_to)
  end;

  -- A fresh key from the strong random source: 62 random bits of a version 4 UUID.
  v_key := ('x' || right(replace(gen_random_uuid()::text, '-', ''), 16))::bit(64)::bigint;
  select c.row_count, c.first_mismatch, c.link_balance into checked_rows, v_mismatch_seq, v_balance
    from auth.audit_chain_check(v_from, v_to, v_key) c;

  v_passed := v_mismatch_seq is null
    and checked_rows = v_to - v_from + 1
    and v_anchor_hash is not null
    and v_balance = auth.audit_chain_link_term(v_key, v_from, v_anchor_hash)::numeric
                    - auth.audit_chain_link_term(v_key, v_to + 1, v_last_hash);
  if v_passed is not true then
    select b.seq, b.why into v_broken_seq, v_broken_why from auth.audit_chain_first_break(v_from, v_to, v_anchor_hash) b;
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
$$;
