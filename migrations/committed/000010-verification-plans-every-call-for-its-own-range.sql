--! Previous: sha1:5cc31554efce0c202820db9fb1c94595db4feda4
--! Hash: sha1:cf6920c31242eefb48f7e44c330642233e0df400
--! Message: verification plans every call for its own range

-- Verification plans every call for its own seq range.
--
-- audit_chain_check's RETURN QUERY is a cached plpgsql plan. After five
-- calls in one session Postgres may switch it to a generic plan, which
-- cannot see the range's bounds, estimates a small slice of the log and
-- drops the parallel workers: from the sixth verification on, a session
-- (a pooled server connection, the maintenance worker) verified on one
-- core, about half as fast. Forcing custom plans costs a planning per
-- call, well under a millisecond against a pass over the range.
alter function auth.audit_chain_check(bigint, bigint, bigint) set plan_cache_mode = force_custom_plan;

-- The ordered walk is planned per call today (a SQL function with its own
-- settings is never inlined nor cached); say so, so a server that caches
-- SQL function plans keeps planning it for its range too.
alter function auth.audit_chain_first_break(bigint, bigint, text) set plan_cache_mode = force_custom_plan;
