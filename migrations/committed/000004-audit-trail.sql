--! Previous: sha1:cbfe4f590f143af206e20ca0461bf76ce34c6e61
--! Hash: sha1:1ae2d159ef18e06ffc157ca478ab1c6a451aa4e1
--! Message: audit trail

-- Tamper-evident audit trail: every change to access control is recorded by
-- triggers in the same transaction, rows are append-only, and a hash chain
-- (gap-free seq, previous_hash, hash) makes any rewrite detectable.
--
-- Writers never wait for each other: they append rows with empty chain
-- columns, and one chainer at a time (auth.chain_audit_logs, run by the
-- server every second and before every verification) links committed rows
-- in batches. Holding a chain lock until each writer's commit would
-- serialize every commit through its WAL flush (measured at 0.31× the
-- unchained insert rate on this project's machines).

drop function if exists auth.tg_audit_change() cascade;
drop function if exists auth.tg_audit_logs_append_only() cascade;
drop function if exists auth.tg_audit_logs_prepare() cascade;
drop function if exists auth.audit_actor() cascade;
drop function if exists auth.audit_log_canonical(auth.audit_logs) cascade;
drop function if exists auth.audit_log_hash(text, auth.audit_logs) cascade;
drop function if exists auth.chain_audit_logs(integer) cascade;
drop function if exists auth.verify_audit_chain(bigint, bigint) cascade;
drop function if exists auth.audit_chain_contains(bigint, text) cascade;
drop function if exists auth.record_denied_attempt(text, text, text) cascade;
drop function if exists auth.detach_audit_log_partition(regclass) cascade;
drop table if exists auth.audit_chain_head cascade;
drop table if exists auth.audit_chain_checkpoints cascade;
drop index if exists auth.audit_logs_seq_idx;
drop index if exists auth.audit_logs_unchained_idx;
alter table auth.audit_logs
  drop column if exists seq,
  drop column if exists previous_hash,
  drop column if exists hash,
  drop column if exists actor_type;
create schema if not exists archive;
comment on schema archive is 'Detached partitions waiting for export to external storage.';

--------------------------------------------------------------------------------
-- Chain columns

alter table auth.audit_logs
  add column actor_type text check (actor_type in ('user', 'service', 'database')),
  add column seq bigint,
  add column previous_hash text check (previous_hash ~ '^[0-9a-f]{64}$'),
  add column hash text check (hash ~ '^[0-9a-f]{64}$');
comment on column auth.audit_logs.actor_type is 'What user_id names: a Keycloak user, an API key (service), or a database role.';
comment on column auth.audit_logs.seq is 'Position in the hash chain: gap-free, assigned when the row is linked (null for a moment after insert).';
comment on column auth.audit_logs.previous_hash is 'hash of the row at seq - 1.';
comment on column auth.audit_logs.hash is 'SHA-256 (hex) of previous_hash and every other column of this row.';
create index audit_logs_seq_idx on auth.audit_logs (seq);
create index audit_logs_unchained_idx on auth.audit_logs (id) where seq is null;

create table auth.audit_chain_head (
  singleton boolean primary key default true check (singleton),
  seq bigint not null,
  hash text not null
);
comment on table auth.audit_chain_head is E'@behavior -*\nThe last linked row of the chain.';
insert into auth.audit_chain_head (seq, hash) values (0, repeat('0', 64));

create table auth.audit_chain_checkpoints (
  seq bigint primary key,
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  partition_name text not null,
  created_at timestamptz not null default now()
);
comment on table auth.audit_chain_checkpoints is
  E'@behavior -*\nThe last seq and hash of each detached partition, so the chain still verifies after old rows leave.';
alter table auth.audit_chain_head enable row level security;
alter table auth.audit_chain_checkpoints enable row level security;

--------------------------------------------------------------------------------
-- Hashing

create function auth.audit_log_canonical(r auth.audit_logs) returns text
  language sql immutable
as $$
  select jsonb_build_array(
    r.seq, r.id, r.event_type, r.action, r.resource, r.resource_id, r.result, r.detail,
    r.user_id, r.actor_type, host(r.ip_address), r.user_agent, r.trace_id,
    to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  )::text
$$;
comment on function auth.audit_log_canonical(auth.audit_logs) is
  E'@behavior -*\nEvery column of an audit row except the chain hashes, in a fixed order and format whatever the session''s settings.';

create function auth.audit_log_hash(previous_hash text, r auth.audit_logs) returns text
  language sql immutable
as $$
  select encode(sha256(convert_to(previous_hash || auth.audit_log_canonical(r), 'UTF8')), 'hex')
$$;
comment on function auth.audit_log_hash(text, auth.audit_logs) is
  E'@behavior -*\nThe chain hash of a row: SHA-256 of the previous hash followed by the row''s canonical form.';

--------------------------------------------------------------------------------
-- Append-only

create function auth.tg_audit_logs_prepare() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  -- Only the chainer links rows; nobody inserts a forged position or hash.
  new.seq := null;
  new.previous_hash := null;
  new.hash := null;
  return new;
end;
$$;
comment on function auth.tg_audit_logs_prepare() is 'Trigger: new audit rows start unlinked, whatever the insert said.';
create trigger _100_prepare before insert on auth.audit_logs
  for each row execute function auth.tg_audit_logs_prepare();

create function auth.tg_audit_logs_append_only() returns trigger
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
  raise exception 'audit_logs is append-only: % is not allowed', lower(tg_op)
    using errcode = '42501', hint = 'Rows leave the audit log only when a whole expired partition is detached.';
end;
$$;
comment on function auth.tg_audit_logs_append_only() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE of audit rows for every role, the owner included; only the chainer may fill in chain columns of unlinked rows.';
create trigger _200_append_only before update or delete on auth.audit_logs
  for each row execute function auth.tg_audit_logs_append_only();
create trigger _200_no_truncate before truncate on auth.audit_logs
  for each statement execute function auth.tg_audit_logs_append_only();

-- TRUNCATE triggers are not inherited: every audit partition gets its own.
create or replace function auth.ensure_range_partition(
  parent regclass,
  partition_name text,
  lower_bound timestamptz,
  upper_bound timestamptz
) returns regclass
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_partition regclass;
begin
  if parent is null or partition_name is null or lower_bound is null or upper_bound is null then
    raise exception 'ensure_range_partition: every argument is required' using errcode = '22004';
  end if;
  v_partition := to_regclass(format('auth.%I', partition_name));
  if v_partition is null then
    execute format(
      'create table auth.%I partition of %s for values from (%L) to (%L)',
      partition_name, parent, lower_bound, upper_bound
    );
    v_partition := format('auth.%I', partition_name)::regclass;
    if parent = 'auth.audit_logs'::regclass then
      execute format(
        'create trigger _200_no_truncate before truncate on %s for each statement execute function auth.tg_audit_logs_append_only()',
        v_partition
      );
    end if;
  end if;
  return v_partition;
end;
$$;

do $$
declare
  v_partition regclass;
begin
  for v_partition in select inhrelid::regclass from pg_inherits where inhparent = 'auth.audit_logs'::regclass loop
    execute format(
      'create trigger _200_no_truncate before truncate on %s for each statement execute function auth.tg_audit_logs_append_only()',
      v_partition
    );
  end loop;
end;
$$;

--------------------------------------------------------------------------------
-- Linking

create function auth.chain_audit_logs(max_rows integer default 10000) returns integer
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  v_head auth.audit_chain_head;
  v_row auth.audit_logs;
  v_ids bigint[] := '{}';
  v_created timestamptz[] := '{}';
  v_seqs bigint[] := '{}';
  v_previous text[] := '{}';
  v_hashes text[] := '{}';
begin
  if max_rows is null or max_rows < 1 or max_rows > 1000000 then
    raise exception 'max_rows: expected 1 to 1000000, got %', max_rows using errcode = '22023';
  end if;
  -- One chainer at a time; a second one has nothing to do.
  if not pg_try_advisory_xact_lock(hashtext('auth.audit_chain')) then
    return 0;
  end if;
  select * into v_head from auth.audit_chain_head for update;
  for v_row in
    select * from auth.audit_logs where seq is null order by id limit max_rows
  loop
    v_row.seq := v_head.seq + 1;
    v_row.previous_hash := v_head.hash;
    v_head.seq := v_row.seq;
    v_head.hash := auth.audit_log_hash(v_row.previous_hash, v_row);
    v_ids := v_ids || v_row.id;
    v_created := v_created || v_row.created_at;
    v_seqs := v_seqs || v_row.seq;
    v_previous := v_previous || v_row.previous_hash;
    v_hashes := v_hashes || v_head.hash;
  end loop;
  if cardinality(v_ids) = 0 then
    return 0;
  end if;
  perform set_config('auth.audit_chaining', 'on', true);
  update auth.audit_logs l
     set seq = c.seq, previous_hash = c.previous_hash, hash = c.hash
    from unnest(v_ids, v_created, v_seqs, v_previous, v_hashes) as c(id, created_at, seq, previous_hash, hash)
   where l.id = c.id and l.created_at = c.created_at;
  perform set_config('auth.audit_chaining', 'off', true);
  update auth.audit_chain_head set seq = v_head.seq, hash = v_head.hash;
  return cardinality(v_ids);
end;
$$;
comment on function auth.chain_audit_logs(integer) is
  E'@behavior -*\nLinks up to max_rows committed, unlinked audit rows into the hash chain, in insertion order. Returns how many it linked; 0 when another chainer holds the lock.';

--------------------------------------------------------------------------------
-- Verification

create function auth.verify_audit_chain(from_seq bigint default null, to_seq bigint default null)
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
  v_broken record;
  v_checked bigint;
begin
  perform auth.chain_audit_logs(1000000);
  select h.seq, h.hash into head_seq, head_hash from auth.audit_chain_head h;
  v_from := coalesce(from_seq, (select min(l.seq) from auth.audit_logs l), 1);
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
  select case when w.why = 'gap' then w.expected_seq else w.seq end, w.why into v_broken
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
  select count(*) into v_checked from auth.audit_logs l where l.seq between v_from and v_to;

  if v_broken.seq is null and v_checked < v_to - v_from + 1 then
    -- Rows missing at the end of the range: the first absent seq is the break.
    v_broken := row(v_from + v_checked, 'gap');
  end if;
  if v_broken.seq is null and v_anchor_hash is null then
    v_broken := row(v_from, 'gap');
  end if;

  intact := v_broken.seq is null;
  first_broken_seq := v_broken.seq;
  reason := v_broken.why;
  checked_rows := v_checked;
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
  E'@behavior -*\nChecks the chain from from_seq to to_seq (default: all of it) in one ordered pass: intact, or the first broken seq and why (gap, broken link, hash mismatch). A break is also announced with pg_notify(''audit_tampering_detected'', …). Links pending rows first.';

create function auth.audit_chain_contains(seq bigint, hash text) returns boolean
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select exists (select 1 from auth.audit_logs l where l.seq = audit_chain_contains.seq and l.hash = audit_chain_contains.hash)
      or exists (select 1 from auth.audit_chain_checkpoints c where c.seq = audit_chain_contains.seq and c.hash = audit_chain_contains.hash)
$$;
comment on function auth.audit_chain_contains(bigint, text) is
  E'@behavior -*\nWhether a head saved earlier (seq and hash) is still part of the chain: a consistent rewrite of every row would not keep it.';

create function auth.detach_audit_log_partition(partition regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_last auth.audit_logs;
begin
  if not exists (select 1 from pg_inherits where inhrelid = partition and inhparent = 'auth.audit_logs'::regclass) then
    raise exception 'partition: % is not a partition of auth.audit_logs', partition using errcode = '22023';
  end if;
  perform auth.chain_audit_logs(1000000);
  execute format('select * from %s order by seq desc nulls first limit 1', partition) into v_last;
  if v_last.id is not null and v_last.seq is null then
    raise exception 'partition: % still holds unlinked rows', partition using errcode = '55000';
  end if;
  if v_last.seq is not null then
    insert into auth.audit_chain_checkpoints (seq, hash, partition_name)
    values (v_last.seq, v_last.hash, partition::text);
  end if;
  execute format('alter table auth.audit_logs detach partition %s', partition);
  execute format('alter table %s set schema archive', partition);
end;
$$;
comment on function auth.detach_audit_log_partition(regclass) is
  E'@behavior -*\nThe only way rows leave the audit log: records a checkpoint (last seq and hash) and moves the whole partition to schema archive.';

--------------------------------------------------------------------------------
-- Recording changes

create function auth.audit_actor(out user_id text, out actor_type text)
  language sql stable
  set search_path = pg_catalog
as $$
  select coalesce(
           nullif(current_setting('api_key.id', true), ''),
           nullif(current_setting('jwt.claims.sub', true), ''),
           session_user::text
         ),
         case
           when nullif(current_setting('api_key.id', true), '') is not null then 'service'
           when nullif(current_setting('jwt.claims.sub', true), '') is not null then 'user'
           else 'database'
         end
$$;
comment on function auth.audit_actor() is
  E'@behavior -*\nWho is acting: the API key id for services, the Keycloak sub for users, else the database role (migrations, operator CLIs).';

create function auth.tg_audit_change() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog
as $$
declare
  -- Secrets never reach the log; bookkeeping columns alone are not a change.
  v_secret text[] := array['key_hash'];
  v_noise text[] := array['updated_at', 'last_used_at', 'last_login_at'];
  v_old jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) - v_secret end;
  v_new jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) - v_secret end;
  v_detail jsonb;
  v_changed text[];
  v_row jsonb := coalesce(v_new, v_old);
  v_actor record;
begin
  if tg_op = 'UPDATE' then
    select array_agg(n.key order by n.key) into v_changed
      from jsonb_each(v_new) n
     where n.value is distinct from v_old -> n.key and not n.key = any (v_noise);
    if v_changed is null then
      return null;
    end if;
    v_detail := jsonb_build_object(
      'before', (select jsonb_object_agg(k, v_old -> k) from unnest(v_changed) k),
      'after', (select jsonb_object_agg(k, v_new -> k) from unnest(v_changed) k)
    );
  elsif tg_op = 'INSERT' then
    v_detail := jsonb_build_object('after', v_new);
  else
    v_detail := jsonb_build_object('before', v_old);
  end if;

  select * into v_actor from auth.audit_actor();
  insert into auth.audit_logs (
    event_type, action, resource, resource_id, result, detail,
    user_id, actor_type, ip_address, user_agent, trace_id
  ) values (
    tg_argv[0],
    lower(tg_op),
    tg_table_name,
    (select string_agg(v_row ->> key_column, ':') from unnest(tg_argv[1:]) as key_column),
    'SUCCESS',
    v_detail,
    v_actor.user_id,
    v_actor.actor_type,
    nullif(current_setting('request.ip', true), '')::inet,
    nullif(current_setting('request.user_agent', true), ''),
    nullif(current_setting('request.trace_id', true), '')
  );
  return null;
end;
$$;
comment on function auth.tg_audit_change() is
  'Trigger: records an insert, update (before/after of the changed columns) or delete in auth.audit_logs, in the same transaction, with the actor, ip, user agent and trace id of the request. Arguments: the event type, then the key columns.';

create trigger _900_audit after insert or update or delete on auth.users
  for each row execute function auth.tg_audit_change('USER', 'id');
create trigger _900_audit after insert or update or delete on auth.roles
  for each row execute function auth.tg_audit_change('ROLE', 'id');
create trigger _900_audit after insert or update or delete on auth.permissions
  for each row execute function auth.tg_audit_change('PERMISSION', 'id');
create trigger _900_audit after insert or update or delete on auth.user_roles
  for each row execute function auth.tg_audit_change('ROLE_ASSIGNMENT', 'user_id', 'role_id');
create trigger _900_audit after insert or update or delete on auth.role_permissions
  for each row execute function auth.tg_audit_change('PERMISSION_GRANT', 'role_id', 'permission_id');
create trigger _900_audit after insert or update or delete on auth.api_keys
  for each row execute function auth.tg_audit_change('API_KEY', 'id');

create function auth.record_denied_attempt(operation text, message text, permission text) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  v_actor record;
begin
  if operation is null or operation !~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$' then
    raise exception 'operation: expected a GraphQL field name, got %', operation using errcode = '22023';
  end if;
  select * into v_actor from auth.audit_actor();
  insert into auth.audit_logs (
    event_type, action, resource, result, detail, user_id, actor_type, ip_address, user_agent, trace_id
  ) values (
    'ACCESS_DENIED',
    operation,
    nullif(split_part(coalesce(permission, ''), ':', 1), ''),
    'DENIED',
    jsonb_strip_nulls(jsonb_build_object('permission', permission, 'message', left(message, 500))),
    v_actor.user_id,
    v_actor.actor_type,
    nullif(current_setting('request.ip', true), '')::inet,
    nullif(current_setting('request.user_agent', true), ''),
    nullif(current_setting('request.trace_id', true), '')
  );
end;
$$;
comment on function auth.record_denied_attempt(text, text, text) is
  E'@behavior -*\nRecords a refused mutation (result DENIED). The refused transaction rolled back, so the server calls this in a transaction of its own, with the same request settings.';

-- The permission a refusal names, machine-readable in the error's DETAIL.
create or replace function auth.require_permission(resource text, action auth.permission_action, doing text) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if not auth.has_permission(resource, action) then
    raise exception 'permission denied: % requires %:%', doing, resource, action
      using errcode = '42501', detail = format('%s:%s', resource, action);
  end if;
end;
$$;

--------------------------------------------------------------------------------
-- Grants

grant execute on function auth.record_denied_attempt(text, text, text) to :AUTH_ANONYMOUS, :AUTH_USER, :AUTH_SERVICE;
grant execute on function auth.chain_audit_logs(integer) to :AUTH_AUTHENTICATOR;
grant execute on function auth.audit_log_canonical(auth.audit_logs), auth.audit_log_hash(text, auth.audit_logs)
  to :AUTH_USER, :AUTH_SERVICE;
