--! Previous: sha1:e81a762934be99d6d62fa24e3584836cd72e9869
--! Hash: sha1:5cc31554efce0c202820db9fb1c94595db4feda4
--! Message: chainer never sorts the backlog

-- The chainer walks unlinked rows in id order through the partial index on
-- id where seq is null, taking max_rows at a time. Right after a bulk insert
-- the planner still believes almost no row is unlinked and chooses to fetch
-- every unlinked row and sort them, on every batch: a backlog of 700 000
-- rows was linked at a third of the usual rate. With sorting off for the
-- chainer, each batch reads only the rows it links, whatever the statistics.
-- (A later CREATE OR REPLACE of the chainer must repeat the setting.)
alter function auth.chain_audit_logs(integer) set enable_sort = off;
