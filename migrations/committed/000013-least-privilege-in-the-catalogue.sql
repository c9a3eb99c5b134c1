--! Previous: sha1:8964aa7aa36e3149c6083aed0dda9426e6c5abf7
--! Hash: sha1:cee7b880955794b14a1458bffeab3bc9f6a3da99
--! Message: least privilege in the catalogue

-- Least privilege in the catalogue.
--
-- PostgreSQL gives PUBLIC EXECUTE on every new function and USAGE on every new
-- type. The foundation's `alter default privileges in schema auth revoke …`
-- could not take that away (per-schema defaults only add to the global ones),
-- so every routine in auth and archive, SECURITY DEFINER ones included, was
-- executable by every role: an anonymous request could call
-- auth.record_job_run and record a verification that never ran.
--
-- From here on: PUBLIC holds nothing on auth-db's routines and types, and each
-- role holds exactly what it calls. test/schema/grants.allow-list.txt lists
-- every resulting grant; test/schema/grants.test.ts keeps the two equal.

--------------------------------------------------------------------------------
-- Routines and types the migrating owner creates later carry no PUBLIC
-- privilege (no `in schema`: this changes the owner's global defaults, which
-- apply in every schema, graphile-worker's included).

alter default privileges revoke execute on functions from public;
alter default privileges revoke usage on types from public;

--------------------------------------------------------------------------------
-- Existing routines and types: PUBLIC's built-in privileges go, in every
-- schema (auth, archive, graphile-worker's if it is installed already, …).
-- Only what the migrating owner owns: nobody else's objects are touched.

do $$
declare
  v_object record;
begin
  for v_object in
    select p.oid::regprocedure as routine
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
     where p.proowner = (select r.oid from pg_roles r where r.rolname = current_user)
       and n.nspname not in ('pg_catalog', 'information_schema')
  loop
    execute format('revoke execute on routine %s from public', v_object.routine);
  end loop;
  for v_object in
    select t.oid::regtype as type
      from pg_type t
      join pg_namespace n on n.oid = t.typnamespace
     where t.typowner = (select r.oid from pg_roles r where r.rolname = current_user)
       and n.nspname not in ('pg_catalog', 'information_schema')
       and t.typtype in ('e', 'd', 'r', 'm', 'c') and t.typcategory <> 'A'
       -- Composite types of their own only: a table's row type takes no grants.
       and (t.typrelid = 0 or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
  loop
    execute format('revoke usage on type %s from public', v_object.type);
  end loop;
end;
$$;

-- Request roles and the authenticator start from nothing on every routine of
-- auth-db's schemas; the grants below are the whole of what they hold.
revoke all on all routines in schema auth, archive
  from :AUTH_ANONYMOUS, :AUTH_USER, :AUTH_SERVICE, :AUTH_AUTHENTICATOR;

--------------------------------------------------------------------------------
-- Routines, by who calls them. Trigger functions need no grant (PostgreSQL
-- checks EXECUTE on them only when a trigger is created), and functions
-- called only from SECURITY DEFINER functions run as the owner.

-- Every request, credentials or not: who am I and what may I do (currentUser,
-- hasPermission, hasPermissions, currentPermissions); verifying a presented
-- API key (the X-API-Key authentication runs it as the anonymous role, and
-- verifyApiKey is a mutation); recording a refused mutation in the audit log.
grant execute on function
  auth.current_user(),
  auth.has_permission(text, auth.permission_action),
  auth.has_permissions(auth.permission_check[]),
  auth.current_permissions(),
  auth.verify_api_key(text),
  auth.record_denied_attempt(text, text, text)
  to :AUTH_ANONYMOUS, :AUTH_USER, :AUTH_SERVICE;

-- Users and services: the exposed mutations and computed columns, and what
-- the policies (current_user_id), the assigner trigger (current_user_id) and
-- the invoker mutations (require_permission, which asks acting_for_a_request)
-- call as the caller.
grant execute on function
  auth.current_user_id(),
  auth.require_permission(text, auth.permission_action, text),
  auth.acting_for_a_request(),
  auth.users_roles(auth.users),
  auth.users_permissions(auth.users),
  auth.assign_role(uuid, text),
  auth.revoke_role(uuid, text),
  auth.create_role(text, auth.tier, text),
  auth.delete_role(text),
  auth.create_permission(text, auth.permission_action, auth.tier, text),
  auth.grant_permission(text, text, auth.permission_action),
  auth.revoke_permission(text, text, auth.permission_action),
  auth.update_user(uuid, text, auth.user_status),
  auth.delete_user(uuid),
  auth.create_api_key(text, text, auth.tier, text[], timestamptz),
  auth.revoke_api_key(uuid),
  auth.rotate_api_key(uuid, integer)
  to :AUTH_USER, :AUTH_SERVICE;

-- A token's first request creates its profile; keys have no profile.
grant execute on function auth.sync_current_user() to :AUTH_USER;

-- The server's own pool, as the authenticator without a request role: the
-- chainer, /health's data checks and the security event queue. Scheduled
-- jobs, archive export and the CLIs connect as the owner and need no grant.
grant execute on function
  auth.chain_audit_logs(integer),
  auth.data_health(timestamptz),
  auth.record_security_events(jsonb)
  to :AUTH_AUTHENTICATOR;

--------------------------------------------------------------------------------
-- Tables: request roles write only through the functions above (invoker
-- ones, under the policies), so they hold exactly what those functions and
-- the exposed queries touch. Nobody ever updated a role's or a permission's
-- description, nor deleted a permission (no function does, and the generated
-- CRUD mutations are hidden); create_permission writes the tier.

revoke update on auth.roles from :AUTH_USER, :AUTH_SERVICE;
revoke update (description) on auth.roles from :AUTH_USER, :AUTH_SERVICE;
revoke update, delete on auth.permissions from :AUTH_USER, :AUTH_SERVICE;
revoke update (description) on auth.permissions from :AUTH_USER, :AUTH_SERVICE;
grant insert (resource, action, tier, description) on auth.permissions to :AUTH_USER, :AUTH_SERVICE;

--------------------------------------------------------------------------------
-- Schema public: empty, and nothing of auth-db's needs it. PostgreSQL 15+
-- already refuses CREATE there to PUBLIC; USAGE goes too.

revoke create, usage on schema public from public;
