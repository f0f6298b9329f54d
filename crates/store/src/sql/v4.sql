-- kspm store schema, version 4: what the server no longer takes on trust from a client.
--
-- A cluster is listed once one of its cycles completed (a lone batch adds nothing to the
-- dashboard); the cluster details a cycle reported are applied when it completes. A cycle's
-- `started_at` is the server's time; the time the client reported is kept beside it, clamped
-- to the server's time and flagged when it lay in the future. The final batch number is
-- recorded so that a cycle completes only once every batch up to it has arrived, and each
-- batch keeps a digest of its content so that a different batch under a used number is
-- refused.

ALTER TABLE clusters ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;

ALTER TABLE cycles ADD COLUMN cluster_name TEXT;
ALTER TABLE cycles ADD COLUMN cluster_version TEXT;
ALTER TABLE cycles ADD COLUMN cluster_platform TEXT;
ALTER TABLE cycles ADD COLUMN reported_started_at INTEGER;
ALTER TABLE cycles ADD COLUMN reported_in_future INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cycles ADD COLUMN final_batch INTEGER;
CREATE INDEX cycles_unfinished ON cycles (started_at) WHERE finished_at IS NULL;

ALTER TABLE cycle_batches ADD COLUMN digest TEXT;
