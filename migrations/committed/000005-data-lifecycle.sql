--! Previous: sha1:1ae2d159ef18e06ffc157ca478ab1c6a451aa4e1
--! Hash: sha1:786042b0846c54dc0afcd98bc706dd719142df52
--! Message: data lifecycle

-- Data lifecycle: partition maintenance (premake, rehome rows from default
-- partitions, retention by detaching into schema archive, never dropping),
-- the bookkeeping of archive exports, and a log of scheduled job runs.
-- Everything takes "now" as an argument so it can be tested with a
-- simulated clock, and everything destructive has a dry run.

drop function if exists auth.partition_bounds(regclass) cascade;
drop function if exists auth.ensure_partition_for(text, timestamp) cascade;
drop function if exists auth.run_partition_maintenance(timestamptz, boolean) cascade;
drop function if exists auth.record_job_run(text, timestamptz, boolean, jsonb) cascade;
drop function if exists auth.data_health(timestamptz) cascade;
drop function if exists auth.record_security_events(jsonb) cascade;
drop function if exists archive.record_export(text, text, bigint, text, bigint) cascade;
drop function if exists archive.process_archived_partitions(boolean) cascade;
drop function if exists archive.get_archive_status() cascade;
drop function if exists archive.archived_tables() cascade;
drop table if exists archive.exports cascade;
drop table if exists auth.partition_policies cascade;
drop table if exists auth.job_runs cascade;

--------------------------------------------------------------------------------
-- Policies: how far ahead to premake and how long to keep, per table

create table auth.partition_policies (
  table_name text primary key check (table_name in ('audit_logs', 'security_events')),
  granularity text not null check (granularity in ('day', 'month')),
  premake interval not null check (premake >= interval '0'),
  retention interval not null check (retention > interval '0'),
  updated_at timestamptz not null default now()
);
comment on table auth.partition_policies is
  E'@behavior -*\nPartitioning of each time-partitioned table: granularity, how far ahead partitions are premade, and how long rows stay before their partition is detached into schema archive. Change retention here, not in code.';
alter table auth.partition_policies enable row level security;
create trigger _100_set_updated_at before update on auth.partition_policies
  for each row execute function auth.tg_set_updated_at();
insert into auth.partition_policies (table_name, granularity, premake, retention) values
  ('audit_logs', 'month', interval '3 months', interval '24 months'),
  ('security_events', 'day', interval '7 days', interval '90 days');

create function auth.partition_bounds(parent regclass)
  returns table (partition regclass, lower_bound timestamptz, upper_bound timestamptz, is_default boolean)
  language sql stable
  set search_path = pg_catalog
as $$
  select c.oid::regclass,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz,
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
   where i.inhparent = parent
$$;
comment on function auth.partition_bounds(regclass) is
  E'@behavior -*\nThe partitions of a range-partitioned table with their bounds, read from the catalogue.';

create function auth.ensure_partition_for(table_name text, period_start timestamp) returns regclass
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  return case table_name
    when 'audit_logs' then auth.ensure_audit_log_partition(period_start::date)
    when 'security_events' then auth.ensure_security_event_partition(period_start::date)
  end;
end;
$$;
comment on function auth.ensure_partition_for(text, timestamp) is
  E'@behavior -*\nCreates the partition of a managed table for the period starting at period_start (UTC).';

--------------------------------------------------------------------------------
-- Rehoming rows out of a default partition must delete them there and insert
-- them again unchanged, chain columns included: the append-only triggers
-- allow exactly that while maintenance runs.

create or replace function auth.tg_audit_logs_prepare() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if current_setting('auth.partition_maintenance', true) = 'on' then
    return new; -- a row moving between partitions keeps its chain position
  end if;
  new.seq := null;
  new.previous_hash := null;
  new.hash := null;
  return new;
end;
$$;

create or replace function auth.tg_audit_logs_append_only() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if tg_op = 'UPDATE'
     and current_setting('auth.audit_chaining', true) = 'on'
     and old.seq is null
     and (to_jsonb(new) - 'seq' - 'previous_hash' - 'hash') = (to_jsonb(old) - 'seq' - 'previous_hash' - 'hash') then
    return new; -- the chainer linking a row
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

--------------------------------------------------------------------------------
-- Maintenance

create function auth.run_partition_maintenance(at timestamptz default now(), dry_run boolean default false)
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

    -- 3. Partitions wholly older than the retention leave for schema archive.
    for v_part in
      select b.partition, b.upper_bound from auth.partition_bounds(v_parent) b
       where not b.is_default and b.upper_bound <= at - v_policy.retention
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
comment on function auth.run_partition_maintenance(timestamptz, boolean) is
  E'@behavior -*\nKeeps every partitioned table ready as of `at`: moves rows out of default partitions into their own, premakes partitions through the policy''s horizon, and detaches partitions older than the retention into schema archive (never drops). Returns what it did, or with dry_run what it would do, changing nothing.';

--------------------------------------------------------------------------------
-- Archive: Node exports each table and reads it back; SQL records the proof
-- and drops a table only when the proof matches it.

create table archive.exports (
  table_name text primary key,
  location text not null,
  row_count bigint not null check (row_count >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  bytes bigint not null check (bytes >= 0),
  verified_at timestamptz not null default now()
);
comment on table archive.exports is 'Exports of archived tables that were written, read back and verified.';

create function archive.record_export(table_name text, location text, row_count bigint, sha256 text, bytes bigint) returns void
  language plpgsql volatile
  set search_path = pg_catalog
as $$
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
$$;
comment on function archive.record_export(text, text, bigint, text, bigint) is
  'Records that an archived table was exported and verified (its row count is checked against the table itself).';

create function archive.archived_tables() returns table (table_name text, row_count bigint)
  language plpgsql stable
  set search_path = pg_catalog
as $$
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
$$;
comment on function archive.archived_tables() is 'Every detached partition waiting in schema archive, with its row count.';

create function archive.process_archived_partitions(dry_run boolean default true)
  returns table (table_name text, action text, detail text)
  language plpgsql volatile
  set search_path = pg_catalog
as $$
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
$$;
comment on function archive.process_archived_partitions(boolean) is
  'Drops each archived table whose verified export matches it; reports the others as waiting. With dry_run (the default) it only reports.';

create function archive.get_archive_status()
  returns table (table_name text, row_count bigint, exported boolean, location text, verified_at timestamptz)
  language sql stable
  set search_path = pg_catalog
as $$
  select t.table_name, t.row_count, e.table_name is not null, e.location, e.verified_at
    from archive.archived_tables() t
    left join archive.exports e on e.table_name = t.table_name and e.row_count = t.row_count
   order by 1
$$;
comment on function archive.get_archive_status() is 'Every table waiting in schema archive, its size, and whether a verified export of it exists.';

--------------------------------------------------------------------------------
-- Scheduled jobs: each run's outcome, for logs and health

create table auth.job_runs (
  id bigserial primary key,
  job text not null check (job in ('maintenance', 'archive_export', 'audit_verify')),
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  succeeded boolean not null,
  detail jsonb not null default '{}' check (jsonb_typeof(detail) = 'object')
);
comment on table auth.job_runs is E'@behavior -*\nEvery run of a scheduled job and how it ended.';
create index job_runs_job_succeeded_idx on auth.job_runs (job, finished_at desc) where succeeded;
alter table auth.job_runs enable row level security;

create function auth.record_job_run(job text, started_at timestamptz, succeeded boolean, detail jsonb) returns void
  language sql volatile security definer
  set search_path = pg_catalog
as $$
  insert into auth.job_runs (job, started_at, succeeded, detail) values (job, started_at, succeeded, coalesce(detail, '{}'))
$$;
comment on function auth.record_job_run(text, timestamptz, boolean, jsonb) is
  E'@behavior -*\nRecords how a scheduled job run ended.';

create function auth.data_health(at timestamptz default now())
  returns table (check_name text, value double precision, detail text)
  language sql stable security definer
  set search_path = pg_catalog
as $$
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
$$;
comment on function auth.data_health(timestamptz) is
  E'@behavior -*\nThe facts /health reports about the data: partition runway in days, hours since each job''s last success, tables waiting in archive.';

-- The server itself (not a request role) links the audit chain and reads data health.
grant usage on schema auth to :AUTH_AUTHENTICATOR;
grant execute on function auth.data_health(timestamptz) to :AUTH_AUTHENTICATOR;

--------------------------------------------------------------------------------
-- Verification, corrected: a range whose rows all left with detached
-- partitions starts after the last checkpoint, and the break is kept in two
-- named variables (a row() assignment loses its field names).

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
as $$
declare
  v_from bigint;
  v_to bigint;
  v_anchor_hash text;
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

  -- One ordered pass: recompute every hash and compare each row with its predecessor.
  select case when w.why = 'gap' then w.expected_seq else w.seq end, w.why
    into v_broken_seq, v_broken_why
    from (
      select l.seq,
             coalesce(lag(l.seq) over w, v_from - 1) + 1 as expected_seq,
             case
               when l.seq is distinct from coalesce(lag(l.seq) over w, v_from - 1) + 1 then 'gap'
               when l.previous_hash is distinct from coalesce(lag(l.hash) over w, v_anchor_hash) then 'broken link'
               when l.hash is distinct from auth.audit_log_hash(l.previous_hash, l) then 'hash mismatch'
             end as why
        from auth.audit_logs l
       where l.seq between v_from and v_to
      window w as (order by l.seq)
    ) w
   where w.why is not null
   order by w.seq
   limit 1;
  select count(*) into checked_rows from auth.audit_logs l where l.seq between v_from and v_to;

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

--------------------------------------------------------------------------------
-- Security events recorded by the server in batches, off the request path

create function auth.record_security_events(events jsonb) returns integer
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  v_count integer;
begin
  if jsonb_typeof(events) is distinct from 'array' or jsonb_array_length(events) > 10000 then
    raise exception 'events: expected a JSON array of at most 10000 events' using errcode = '22023';
  end if;
  insert into auth.security_events (type, description, user_id, user_name, client_id, ip_address, user_agent, detail, created_at)
  select e.type, e.description, e.user_id, e.user_name, e.client_id, e.ip_address, e.user_agent,
         coalesce(e.detail, '{}'), coalesce(e.created_at, now())
    from jsonb_to_recordset(events) as e(
      type text, description text, user_id text, user_name text, client_id text,
      ip_address inet, user_agent text, detail jsonb, created_at timestamptz
    );
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function auth.record_security_events(jsonb) is
  E'@behavior -*\nInserts a batch of security events collected by the server (rejected tokens, denied requests).';
grant execute on function auth.record_security_events(jsonb) to :AUTH_AUTHENTICATOR;
