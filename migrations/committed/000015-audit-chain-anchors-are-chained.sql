--! Previous: sha1:31da98e2f1987e6bbd835ae879b3b2b571e01315
--! Hash: sha1:fb6596ef94438b86150238b4f734cda84aa0262d
--! Message: audit chain anchors are chained

-- The audit chain's anchors are themselves chained.
--
-- Until now a detached partition left its last seq and hash in
-- auth.audit_chain_checkpoints, a table outside the chain: anyone with owner
-- rights could delete the oldest (or newest) rows, insert a checkpoint that
-- matched, and verification, even against a saved head, passed. And
-- detach_audit_log_partition took any partition, the current month included.
--
-- Now every detach writes an audit row (event_type AUDIT_CHAIN, an "anchor"),
-- chained like every other row, that lists every seq range no longer in the
-- table: for each, its first seq and that row's previous_hash, its last seq
-- and a copy of its last row. Verification reads the latest anchor, treats
-- each listed range as one link of the chain (from the previous_hash of its
-- first row to the hash of its last), and checks the whole chain from seq 1.
-- A copy of the last row lets anyone recompute its hash, so the age of the
-- newest row that left is proven by the chain itself; a saved head then
-- tells which ranges left after it was saved, and each of those must be older
-- than the retention. The checkpoints table is adopted into the chain and
-- dropped. Only partitions past their retention, never the current month,
-- may be detached.

drop function if exists auth.audit_chain_runs(jsonb) cascade;
drop function if exists auth.audit_chain_detached_runs(bigint) cascade;
drop function if exists auth.audit_chain_detached_since(bigint) cascade;
drop index if exists auth.audit_logs_anchor_idx;

-- The anchors are found without reading the log.
create index audit_logs_anchor_idx on auth.audit_logs (seq) where event_type = 'AUDIT_CHAIN';

--------------------------------------------------------------------------------
-- Reading an anchor

create function auth.audit_chain_runs(detached jsonb)
  returns table (
    first_seq bigint,
    last_seq bigint,
    previous_hash text,
    last_hash text,
    last_created_at timestamptz,
    sound boolean
  )
  language sql stable
  set search_path = pg_catalog
  set client_encoding = 'UTF8'
as $$
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
$$;
comment on function auth.audit_chain_runs(jsonb) is
  E'@behavior -*\nThe seq ranges an anchor lists as gone from the log: each with the previous_hash of its first row, the hash of its last, when its last row was created (from the copy of that row; null for checkpoints adopted from before anchors existed), and whether the entry is sound (the copy recomputes to its hash in its own chain format and sits at the range''s end). Raises on an entry of the wrong shape.';

create function auth.audit_chain_detached_runs(at_or_before bigint default null)
  returns table (
    anchor_seq bigint,
    first_seq bigint,
    last_seq bigint,
    previous_hash text,
    last_hash text,
    last_created_at timestamptz,
    sound boolean
  )
  language sql stable
  set search_path = pg_catalog
as $$
  select a.seq, r.*
    from (
      select l.seq, l.detail from auth.audit_logs l
       where l.event_type = 'AUDIT_CHAIN'
         and l.seq <= coalesce(at_or_before, (select h.seq from auth.audit_chain_head h))
       order by l.seq desc
       limit 1
    ) a
    cross join lateral auth.audit_chain_runs(a.detail -> 'detached') r
$$;
comment on function auth.audit_chain_detached_runs(bigint) is
  E'@behavior -*\nThe ranges listed by the latest anchor at or before a seq (default: the head): every range gone from the log at that point. Each anchor lists them all, so only the latest counts.';

--------------------------------------------------------------------------------
-- Detaching: only expired partitions, recorded in the chain

create or replace function auth.detach_audit_log_partition(partition regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.detach_audit_log_partition(regclass) is
  E'@behavior -*\nThe only way rows leave the audit log: refuses the current month, later ones and any partition within the retention of auth.partition_policies; moves the partition to schema archive and chains an anchor (event_type AUDIT_CHAIN) listing every seq range gone from the log, each with the previous_hash of its first row and a copy of its last.';

-- Maintenance as before, except that a real run detaches audit partitions
-- only once they are past their retention in real time: a run "as of" a
-- later moment may premake and detach security events for it, but audit
-- rows leave only when their time has come. A dry run still plans as of `at`.
create or replace function auth.run_partition_maintenance(at timestamptz default now(), dry_run boolean default false)
  returns table (table_name text, action text, partition text, detail text)
  language plpgsql volatile
  set search_path = pg_catalog
as $$
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
$$;

--------------------------------------------------------------------------------
-- Verification over the whole chain, detached ranges included

-- The ordered walk, as before, with each range an anchor lists taken as one
-- link from the previous_hash of its first row to the hash of its last.
create or replace function auth.audit_chain_first_break(from_seq bigint, to_seq bigint, anchor_hash text)
  returns table (seq bigint, why text)
  language sql stable
  set search_path = pg_catalog
  set plan_cache_mode = force_custom_plan
as $$
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
$$;
comment on function auth.audit_chain_first_break(bigint, bigint, text) is
  E'@behavior -*\nThe first gap or broken link of a seq range, walking its rows and the detached ranges the latest anchor lists in order: run by verify_audit_chain only for a range that failed its single pass.';

-- The single pass over the rows as before; the ranges of the latest anchor
-- enter the count and the link balance as one link each. The chain is
-- checked from seq 1 by default: rows gone without an anchor are a gap.
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
$$;
comment on function auth.verify_audit_chain(bigint, bigint) is
  E'@behavior -*\nChecks the chain from from_seq (default 1) to to_seq (default: the head) in one unordered pass: every row''s hash, and the links between rows and the detached ranges the latest anchor lists. Intact, or the first broken seq and why (gap, broken link, hash mismatch, broken anchor). A break is also announced with pg_notify(''audit_tampering_detected'', …). Links pending rows first.';

--------------------------------------------------------------------------------
-- A saved head

create or replace function auth.audit_chain_contains(seq bigint, hash text) returns boolean
  language plpgsql stable security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.audit_chain_contains(bigint, text) is
  E'@behavior -*\nWhether a head saved earlier (seq and hash) is still part of the chain: a row, or the last row of a range an anchor lists as detached. A consistent rewrite of every row would not keep it.';

create function auth.audit_chain_detached_since(saved_seq bigint)
  returns table (first_seq bigint, last_seq bigint, last_created_at timestamptz, retention interval, expired boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.audit_chain_detached_since(bigint) is
  E'@behavior -*\nThe seq ranges that left the audit log after a saved head (those the latest anchor lists and the anchor at or before that head did not), with when each range''s last row was created and whether that is longer ago than the retention of auth.partition_policies.';

revoke execute on function auth.audit_chain_runs(jsonb) from public;
revoke execute on function auth.audit_chain_detached_runs(bigint) from public;
revoke execute on function auth.audit_chain_detached_since(bigint) from public;

--------------------------------------------------------------------------------
-- The checkpoints of partitions detached before anchors existed become the
-- first anchor: one range from seq 1 to the checkpoint just before the
-- oldest row still held. (A head saved before this migration cannot prove
-- that range's age: save a new one.)

do $$
declare
  v_first bigint;
  v_checkpoint record;
  v_actor record;
begin
  if to_regclass('auth.audit_chain_checkpoints') is null
     or exists (select 1 from auth.audit_logs l where l.event_type = 'AUDIT_CHAIN') then
    return;
  end if;
  perform auth.chain_audit_logs(1000000);
  select min(l.seq) into v_first from auth.audit_logs l where l.seq is not null;
  select c.seq, c.hash into v_checkpoint
    from auth.audit_chain_checkpoints c
   where c.seq = coalesce(v_first, (select h.seq + 1 from auth.audit_chain_head h)) - 1;
  if v_checkpoint.seq is null then
    return;
  end if;
  select * into v_actor from auth.audit_actor();
  insert into auth.audit_logs (event_type, action, resource, result, detail, user_id, actor_type)
  values (
    'AUDIT_CHAIN', 'adopt_checkpoints', 'audit_logs', 'SUCCESS',
    jsonb_build_object(
      'checkpoints', (select jsonb_agg(jsonb_build_object('seq', c.seq, 'hash', c.hash, 'partition', c.partition_name) order by c.seq)
                        from auth.audit_chain_checkpoints c),
      'detached', jsonb_build_array(jsonb_build_object(
        'first_seq', 1, 'last_seq', v_checkpoint.seq, 'previous_hash', repeat('0', 64), 'last_hash', v_checkpoint.hash))
    ),
    v_actor.user_id, v_actor.actor_type
  );
  perform auth.chain_audit_logs(1000000);
end;
$$;
drop table if exists auth.audit_chain_checkpoints;
