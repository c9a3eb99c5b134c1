--! Previous: sha1:c2d0467242c563eeae5fad7d14c58c78ff23ae09
--! Hash: sha1:62a12133fd9896e6b1f3df654ec8e53f76f7a346
--! Message: identity and permissions

-- Identity and permissions: who the caller is, what they may do, and the
-- Row Level Security policies that ask.
--
-- The server verifies the Keycloak token and hands its claims to SQL as
-- settings (jwt.claims.sub, jwt.claims.preferred_username, jwt.claims.email,
-- jwt.claims.name, jwt.claims.roles). Role assignments live here, not in the
-- token: a role revoked in auth-db is gone on the very next request.

drop function if exists auth.current_user_id() cascade;
drop function if exists auth.has_permission(text, auth.permission_action) cascade;
drop function if exists auth.current_permissions() cascade;
drop function if exists auth.has_permissions(auth.permission_check[]) cascade;
drop type if exists auth.permission_check cascade;
drop function if exists auth.current_user() cascade;
drop function if exists auth.users_roles(auth.users) cascade;
drop function if exists auth.users_permissions(auth.users) cascade;
drop function if exists auth.sync_current_user() cascade;
drop function if exists auth.require_permission(text, auth.permission_action, text) cascade;
drop function if exists auth.tg_user_roles_set_assigner() cascade;
drop function if exists auth.assign_role(uuid, text) cascade;
drop function if exists auth.revoke_role(uuid, text) cascade;
drop function if exists auth.create_role(text, auth.tier, text) cascade;
drop function if exists auth.delete_role(text) cascade;
drop function if exists auth.create_permission(text, auth.permission_action, text) cascade;
drop function if exists auth.grant_permission(text, text, auth.permission_action) cascade;
drop function if exists auth.revoke_permission(text, text, auth.permission_action) cascade;
drop function if exists auth.update_user(uuid, text, auth.user_status) cascade;
drop function if exists auth.delete_user(uuid) cascade;

--------------------------------------------------------------------------------
-- Who is calling

create function auth.current_user_id() returns uuid
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select u.id from auth.users u
   where u.keycloak_sub = nullif(current_setting('jwt.claims.sub', true), '')
$$;
comment on function auth.current_user_id() is
  E'@behavior -*\nThe auth.users id of the caller''s Keycloak sub, or null. Definer: it must find the row before any policy lets the caller see it.';

create function auth.current_user() returns auth.users
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select u.* from auth.users u where u.id = auth.current_user_id()
$$;
comment on function auth.current_user() is
  'The profile of the signed-in user, or null when anonymous. Definer so that it answers anonymous callers too; it only ever returns the caller''s own row.';

--------------------------------------------------------------------------------
-- What the caller may do. SECURITY DEFINER so that policies can ask without
-- the caller being able to read the tables behind the answer; stable so that
-- `(select auth.has_permission(...))` in a policy runs once per statement.

create function auth.has_permission(resource text, action auth.permission_action) returns boolean
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select exists (
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
$$;
comment on function auth.has_permission(text, auth.permission_action) is
  'Whether the caller holds `action` on `resource` through any of their roles; `admin` on a resource implies every action on it. False for anonymous, inactive and suspended callers.';

create function auth.current_permissions() returns table (resource text, action auth.permission_action)
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select distinct p.resource, implied.action
    from auth.users u
    join auth.user_roles ur on ur.user_id = u.id
    join auth.role_permissions rp on rp.role_id = ur.role_id
    join auth.permissions p on p.id = rp.permission_id
    cross join lateral unnest(
      case when p.action = 'admin' then enum_range(null::auth.permission_action) else array[p.action] end
    ) as implied(action)
   where u.keycloak_sub = nullif(current_setting('jwt.claims.sub', true), '')
     and u.status = 'active'
   order by 1, 2
$$;
comment on function auth.current_permissions() is
  'Every (resource, action) the caller holds, with `admin` expanded to the actions it implies.';

create type auth.permission_check as (resource text, action auth.permission_action);
comment on type auth.permission_check is 'One (resource, action) pair to check.';

create function auth.has_permissions(checks auth.permission_check[]) returns table (
  resource text,
  action auth.permission_action,
  granted boolean
)
  language plpgsql stable security definer
  set search_path = pg_catalog
as $$
begin
  if cardinality(checks) > 1000 then
    raise exception 'checks: at most 1000 pairs per call, got %', cardinality(checks)
      using errcode = '22023';
  end if;
  return query
    with held as (select * from auth.current_permissions())
    select c.resource, c.action,
           exists (select 1 from held h where h.resource = c.resource and h.action = c.action)
      from unnest(checks) with ordinality as c(resource, action, position)
     order by c.position;
end;
$$;
comment on function auth.has_permissions(auth.permission_check[]) is
  'Batch form of hasPermission: one answer per pair, in the order asked, from one look-up of the caller''s permissions.';

--------------------------------------------------------------------------------
-- A user's roles and permissions, as fields of User. Invoker rights: row
-- level security on user_roles decides whose assignments the caller may see.

create function auth.users_roles(u auth.users) returns setof auth.roles
  language sql stable
  set search_path = pg_catalog
as $$
  select r.* from auth.roles r
    join auth.user_roles ur on ur.role_id = r.id
   where ur.user_id = u.id
   order by r.name
$$;
comment on function auth.users_roles(auth.users) is 'The roles assigned to this user.';

create function auth.users_permissions(u auth.users) returns table (resource text, action auth.permission_action)
  language sql stable
  set search_path = pg_catalog
as $$
  select distinct p.resource, implied.action
    from auth.user_roles ur
    join auth.role_permissions rp on rp.role_id = ur.role_id
    join auth.permissions p on p.id = rp.permission_id
    cross join lateral unnest(
      case when p.action = 'admin' then enum_range(null::auth.permission_action) else array[p.action] end
    ) as implied(action)
   where ur.user_id = u.id
     and u.status = 'active'
   order by 1, 2
$$;
comment on function auth.users_permissions(auth.users) is
  'What this user may do through their roles (admin expanded); empty while the user is inactive or suspended.';

--------------------------------------------------------------------------------
-- Users from Keycloak

create function auth.sync_current_user() returns auth.users
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  v_sub text := nullif(current_setting('jwt.claims.sub', true), '');
  v_username text := coalesce(nullif(current_setting('jwt.claims.preferred_username', true), ''), v_sub);
  v_email text := nullif(current_setting('jwt.claims.email', true), '');
  v_name text := nullif(current_setting('jwt.claims.name', true), '');
  v_user auth.users;
begin
  if v_sub is null then
    raise exception 'no verified Keycloak subject in this request' using errcode = '28000';
  end if;
  -- A profile an operator created before this person first signed in is linked by username.
  update auth.users set keycloak_sub = v_sub
   where keycloak_sub is null and lower(username) = lower(v_username);
  -- Concurrent first requests of one sub meet at the unique keycloak_sub: one row, then updates.
  insert into auth.users as u (keycloak_sub, username, email, display_name, last_login_at)
  values (v_sub, v_username, v_email, v_name, now())
  on conflict (keycloak_sub) do update
     set username = excluded.username,
         email = excluded.email,
         display_name = coalesce(excluded.display_name, u.display_name),
         last_login_at = now()
  returning * into v_user;
  return v_user;
end;
$$;
comment on function auth.sync_current_user() is
  E'@behavior -*\nCreates or refreshes the caller''s profile from the verified token claims. Called by the server when it sees a sub (or changed claims) for the first time; definer because callers may not write users themselves.';

--------------------------------------------------------------------------------
-- Administration. Each mutation checks its permission first so that a denied
-- caller learns which permission is missing; the policies below enforce the
-- same rules for every other path.

create function auth.require_permission(resource text, action auth.permission_action, doing text) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if not auth.has_permission(resource, action) then
    raise exception 'permission denied: % requires %:%', doing, resource, action
      using errcode = '42501';
  end if;
end;
$$;
comment on function auth.require_permission(text, auth.permission_action, text) is
  E'@behavior -*\nRaises a permission error naming the missing permission unless the caller holds it.';

create function auth.tg_user_roles_set_assigner() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  new.assigned_by := auth.current_user_id();
  new.assigned_at := now();
  return new;
end;
$$;
comment on function auth.tg_user_roles_set_assigner() is
  'Trigger: who assigned a role and when come from the request, never from input.';
create trigger _200_set_assigner before insert on auth.user_roles
  for each row execute function auth.tg_user_roles_set_assigner();

create function auth.assign_role(user_id uuid, role_name text) returns auth.user_roles
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_role_id uuid;
  v_assignment auth.user_roles;
begin
  perform auth.require_permission('users', 'admin', 'assigning a role');
  select r.id into v_role_id from auth.roles r where r.name = role_name;
  if v_role_id is null then
    raise exception 'roleName: no role named "%"', role_name using errcode = '22023';
  end if;
  if not exists (select 1 from auth.users u where u.id = assign_role.user_id) then
    raise exception 'userId: no user with id %', user_id using errcode = '22023';
  end if;
  insert into auth.user_roles (user_id, role_id) values (assign_role.user_id, v_role_id)
  on conflict do nothing
  returning * into v_assignment;
  if v_assignment is null then
    select * into v_assignment from auth.user_roles ur
     where ur.user_id = assign_role.user_id and ur.role_id = v_role_id;
  end if;
  return v_assignment;
end;
$$;
comment on function auth.assign_role(uuid, text) is 'Gives a user a role (needs users:admin). Assigning a role the user already holds changes nothing.';

create function auth.revoke_role(user_id uuid, role_name text) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('users', 'admin', 'revoking a role');
  delete from auth.user_roles ur
   using auth.roles r
   where r.id = ur.role_id and r.name = role_name and ur.user_id = revoke_role.user_id;
  return found;
end;
$$;
comment on function auth.revoke_role(uuid, text) is 'Takes a role from a user (needs users:admin); effective on the next request. True when the user held it.';

create function auth.create_role(name text, tier auth.tier, description text default null) returns auth.roles
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_role auth.roles;
begin
  perform auth.require_permission('auth_config', 'write', 'creating a role');
  insert into auth.roles (name, tier, description) values (name, tier, description)
  returning * into v_role;
  return v_role;
end;
$$;
comment on function auth.create_role(text, auth.tier, text) is 'Creates a role (needs auth_config:write).';

create function auth.delete_role(name text) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('auth_config', 'delete', 'deleting a role');
  delete from auth.roles r where r.name = delete_role.name;
  return found;
end;
$$;
comment on function auth.delete_role(text) is 'Deletes a role and its assignments (needs auth_config:delete).';

create function auth.create_permission(resource text, action auth.permission_action, description text default null)
  returns auth.permissions
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_permission auth.permissions;
begin
  perform auth.require_permission('auth_config', 'write', 'creating a permission');
  insert into auth.permissions (resource, action, description) values (resource, action, description)
  returning * into v_permission;
  return v_permission;
end;
$$;
comment on function auth.create_permission(text, auth.permission_action, text) is
  'Adds a (resource, action) permission to the catalogue (needs auth_config:write).';

create function auth.grant_permission(role_name text, resource text, action auth.permission_action)
  returns auth.role_permissions
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_role_id uuid;
  v_permission_id uuid;
  v_grant auth.role_permissions;
begin
  perform auth.require_permission('auth_config', 'write', 'granting a permission');
  perform auth.require_permission(resource, action, 'granting a permission you do not hold');
  select r.id into v_role_id from auth.roles r where r.name = role_name;
  if v_role_id is null then
    raise exception 'roleName: no role named "%"', role_name using errcode = '22023';
  end if;
  select p.id into v_permission_id from auth.permissions p
   where p.resource = grant_permission.resource and p.action = grant_permission.action;
  if v_permission_id is null then
    raise exception 'resource, action: no permission %:%', resource, action using errcode = '22023';
  end if;
  insert into auth.role_permissions (role_id, permission_id) values (v_role_id, v_permission_id)
  on conflict do nothing
  returning * into v_grant;
  if v_grant is null then
    select * into v_grant from auth.role_permissions rp
     where rp.role_id = v_role_id and rp.permission_id = v_permission_id;
  end if;
  return v_grant;
end;
$$;
comment on function auth.grant_permission(text, text, auth.permission_action) is
  'Adds a permission to a role (needs auth_config:write and the permission itself: nobody grants what they do not hold).';

create function auth.revoke_permission(role_name text, resource text, action auth.permission_action) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('auth_config', 'write', 'revoking a permission');
  delete from auth.role_permissions rp
   using auth.roles r, auth.permissions p
   where r.id = rp.role_id and p.id = rp.permission_id
     and r.name = role_name and p.resource = revoke_permission.resource and p.action = revoke_permission.action;
  return found;
end;
$$;
comment on function auth.revoke_permission(text, text, auth.permission_action) is
  'Removes a permission from a role (needs auth_config:write). True when the role had it.';

create function auth.update_user(user_id uuid, display_name text default null, status auth.user_status default null)
  returns auth.users
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v_user auth.users;
begin
  perform auth.require_permission('users', 'write', 'updating a user');
  update auth.users u
     set display_name = coalesce(update_user.display_name, u.display_name),
         status = coalesce(update_user.status, u.status)
   where u.id = update_user.user_id
  returning * into v_user;
  if v_user is null then
    raise exception 'userId: no user with id %', user_id using errcode = '22023';
  end if;
  return v_user;
end;
$$;
comment on function auth.update_user(uuid, text, auth.user_status) is
  'Changes a user''s display name or status (needs users:write); omitted fields stay as they are. Suspending a user removes every permission at once.';

create function auth.delete_user(user_id uuid) returns boolean
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  perform auth.require_permission('users', 'delete', 'deleting a user');
  delete from auth.users u where u.id = delete_user.user_id;
  return found;
end;
$$;
comment on function auth.delete_user(uuid) is 'Deletes a user profile and its role assignments (needs users:delete).';

--------------------------------------------------------------------------------
-- Writes go through the functions above: hide the generated CRUD mutations.

comment on table auth.users is E'@behavior -insert -update -delete\nA person (or Keycloak service account) known to auth-db, linked to Keycloak by its `sub`.';
comment on table auth.roles is E'@behavior -insert -update -delete\nA named bundle of permissions that can be assigned to users.';
comment on table auth.permissions is E'@behavior -insert -update -delete\nOne action on one resource, e.g. users:read.';
comment on table auth.user_roles is E'@behavior -insert -update -delete\nWhich user holds which role, who assigned it and when.';
comment on table auth.role_permissions is E'@behavior -insert -update -delete\nWhich permissions a role grants.';
comment on table auth.audit_logs is E'@behavior -insert -update -delete\nWhat happened to access control, who did it, from where, and with what outcome.';

--------------------------------------------------------------------------------
-- Grants: the request roles may reach these tables at all; the policies
-- decide which rows. Nobody but the owner may update or delete audit rows.

revoke all on auth.users, auth.roles, auth.permissions, auth.user_roles, auth.role_permissions, auth.audit_logs
  from :AUTH_USER, :AUTH_SERVICE;
grant select, delete on auth.users to :AUTH_USER, :AUTH_SERVICE;
grant update (display_name, status) on auth.users to :AUTH_USER, :AUTH_SERVICE;
grant select, delete on auth.roles, auth.permissions to :AUTH_USER, :AUTH_SERVICE;
grant insert (name, tier, description), update (description) on auth.roles to :AUTH_USER, :AUTH_SERVICE;
grant insert (resource, action, description), update (description) on auth.permissions to :AUTH_USER, :AUTH_SERVICE;
grant select, insert (user_id, role_id), delete on auth.user_roles to :AUTH_USER, :AUTH_SERVICE;
grant select, insert (role_id, permission_id), delete on auth.role_permissions to :AUTH_USER, :AUTH_SERVICE;
grant select on auth.audit_logs to :AUTH_USER, :AUTH_SERVICE;

grant execute on function
  auth.current_user_id(),
  auth.current_user(),
  auth.has_permission(text, auth.permission_action),
  auth.current_permissions(),
  auth.has_permissions(auth.permission_check[]),
  auth.users_roles(auth.users),
  auth.users_permissions(auth.users),
  auth.require_permission(text, auth.permission_action, text),
  auth.assign_role(uuid, text),
  auth.revoke_role(uuid, text),
  auth.create_role(text, auth.tier, text),
  auth.delete_role(text),
  auth.create_permission(text, auth.permission_action, text),
  auth.grant_permission(text, text, auth.permission_action),
  auth.revoke_permission(text, text, auth.permission_action),
  auth.update_user(uuid, text, auth.user_status),
  auth.delete_user(uuid)
  to :AUTH_USER, :AUTH_SERVICE;
grant execute on function auth.sync_current_user() to :AUTH_USER;

-- Anonymous callers may ask who they are and what they may do (nobody,
-- nothing), but read no table.
grant usage on schema auth to :AUTH_ANONYMOUS;
grant execute on function
  auth.current_user_id(),
  auth.current_user(),
  auth.has_permission(text, auth.permission_action),
  auth.current_permissions(),
  auth.has_permissions(auth.permission_check[])
  to :AUTH_ANONYMOUS;

--------------------------------------------------------------------------------
-- Policies. Each permission check is wrapped in (select …) so Postgres runs
-- it once per statement, not once per row.

drop policy if exists users_select on auth.users;
create policy users_select on auth.users for select to :AUTH_USER, :AUTH_SERVICE
  using (id = (select auth.current_user_id()) or (select auth.has_permission('users', 'read')));
comment on policy users_select on auth.users is 'Everyone reads their own profile; users:read reads all.';

drop policy if exists users_update on auth.users;
create policy users_update on auth.users for update to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('users', 'write')))
  with check ((select auth.has_permission('users', 'write')));
comment on policy users_update on auth.users is 'users:write changes profiles.';

drop policy if exists users_delete on auth.users;
create policy users_delete on auth.users for delete to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('users', 'delete')));
comment on policy users_delete on auth.users is 'users:delete removes profiles.';

drop policy if exists roles_select on auth.roles;
create policy roles_select on auth.roles for select to :AUTH_USER, :AUTH_SERVICE using (true);
comment on policy roles_select on auth.roles is 'The role catalogue is readable by every authenticated caller.';

drop policy if exists roles_insert on auth.roles;
create policy roles_insert on auth.roles for insert to :AUTH_USER, :AUTH_SERVICE
  with check ((select auth.has_permission('auth_config', 'write')));
comment on policy roles_insert on auth.roles is 'auth_config:write creates roles.';

drop policy if exists roles_update on auth.roles;
create policy roles_update on auth.roles for update to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('auth_config', 'write')))
  with check ((select auth.has_permission('auth_config', 'write')));
comment on policy roles_update on auth.roles is 'auth_config:write changes roles.';

drop policy if exists roles_delete on auth.roles;
create policy roles_delete on auth.roles for delete to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('auth_config', 'delete')));
comment on policy roles_delete on auth.roles is 'auth_config:delete removes roles.';

drop policy if exists permissions_select on auth.permissions;
create policy permissions_select on auth.permissions for select to :AUTH_USER, :AUTH_SERVICE using (true);
comment on policy permissions_select on auth.permissions is 'The permission catalogue is readable by every authenticated caller.';

drop policy if exists permissions_insert on auth.permissions;
create policy permissions_insert on auth.permissions for insert to :AUTH_USER, :AUTH_SERVICE
  with check ((select auth.has_permission('auth_config', 'write')));
comment on policy permissions_insert on auth.permissions is 'auth_config:write adds permissions.';

drop policy if exists permissions_update on auth.permissions;
create policy permissions_update on auth.permissions for update to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('auth_config', 'write')))
  with check ((select auth.has_permission('auth_config', 'write')));
comment on policy permissions_update on auth.permissions is 'auth_config:write changes permission descriptions.';

drop policy if exists permissions_delete on auth.permissions;
create policy permissions_delete on auth.permissions for delete to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('auth_config', 'delete')));
comment on policy permissions_delete on auth.permissions is 'auth_config:delete removes permissions.';

drop policy if exists role_permissions_select on auth.role_permissions;
create policy role_permissions_select on auth.role_permissions for select to :AUTH_USER, :AUTH_SERVICE using (true);
comment on policy role_permissions_select on auth.role_permissions is 'What each role grants is readable by every authenticated caller.';

drop policy if exists role_permissions_insert on auth.role_permissions;
create policy role_permissions_insert on auth.role_permissions for insert to :AUTH_USER, :AUTH_SERVICE
  with check (
    (select auth.has_permission('auth_config', 'write'))
    and exists (
      select 1 from auth.permissions p
       where p.id = permission_id and auth.has_permission(p.resource, p.action)
    )
  );
comment on policy role_permissions_insert on auth.role_permissions is
  'auth_config:write adds permissions to roles, but only permissions the caller holds: no escalation through the catalogue.';

drop policy if exists role_permissions_delete on auth.role_permissions;
create policy role_permissions_delete on auth.role_permissions for delete to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('auth_config', 'write')));
comment on policy role_permissions_delete on auth.role_permissions is 'auth_config:write removes permissions from roles.';

drop policy if exists user_roles_select on auth.user_roles;
create policy user_roles_select on auth.user_roles for select to :AUTH_USER, :AUTH_SERVICE
  using (user_id = (select auth.current_user_id()) or (select auth.has_permission('users', 'read')));
comment on policy user_roles_select on auth.user_roles is 'Everyone sees their own roles; users:read sees everyone''s.';

drop policy if exists user_roles_insert on auth.user_roles;
create policy user_roles_insert on auth.user_roles for insert to :AUTH_USER, :AUTH_SERVICE
  with check ((select auth.has_permission('users', 'admin')));
comment on policy user_roles_insert on auth.user_roles is 'users:admin assigns roles.';

drop policy if exists user_roles_delete on auth.user_roles;
create policy user_roles_delete on auth.user_roles for delete to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('users', 'admin')));
comment on policy user_roles_delete on auth.user_roles is 'users:admin revokes roles.';

drop policy if exists audit_logs_select on auth.audit_logs;
create policy audit_logs_select on auth.audit_logs for select to :AUTH_USER, :AUTH_SERVICE
  using ((select auth.has_permission('audit_logs', 'read')));
comment on policy audit_logs_select on auth.audit_logs is 'audit_logs:read reads the audit trail. No policy allows changing it.';
