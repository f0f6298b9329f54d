-- kspm store schema, version 3: score history per scope (so that clusters and scopes pool
-- correctly whatever order cycles arrive in), a log of outcome changes per finding (for
-- "what changed" and resource history), resource types on the per-resource counts, and an
-- index for the failed-first order of the findings page.

-- The counts of one (cluster, scope) right after one of its cycles completed, per benchmark
-- and section. The state of a cluster at time T is the sum over its scopes of their latest
-- entry at or before T. `at` is the start of the cycle (when its findings were seen).
CREATE TABLE history (
    id         INTEGER PRIMARY KEY,
    cycle      INTEGER NOT NULL,
    cluster_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX history_by_cluster ON history (cluster_id, at);
CREATE INDEX history_by_at ON history (at);

CREATE TABLE history_counts (
    history      INTEGER NOT NULL REFERENCES history(id) ON DELETE CASCADE,
    benchmark_id TEXT NOT NULL,
    section      TEXT NOT NULL,
    passed       INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    manual       INTEGER NOT NULL,
    error        INTEGER NOT NULL,
    excepted     INTEGER NOT NULL,
    disabled     INTEGER NOT NULL
);
CREATE INDEX history_counts_by_history ON history_counts (history);

-- Version 2 kept one whole-cluster snapshot per cycle, which cannot be split into scopes.
-- The new history starts from the current state of every scope.
INSERT INTO history (cycle, cluster_id, scope, at)
SELECT s.last_cycle, s.cluster_id, s.scope,
       COALESCE((SELECT y.started_at FROM cycles y WHERE y.seq = s.last_cycle), 0)
FROM scope_stats s;
INSERT INTO history_counts (history, benchmark_id, section, passed, failed, manual, error,
                            excepted, disabled)
SELECT h.id, r.benchmark_id, r.section,
    SUM(CASE WHEN x.st = 'passed' THEN x.n ELSE 0 END),
    SUM(CASE WHEN x.st = 'failed' THEN x.n ELSE 0 END),
    SUM(CASE WHEN x.st = 'manual' THEN x.n ELSE 0 END),
    SUM(CASE WHEN x.st = 'error' THEN x.n ELSE 0 END),
    SUM(CASE WHEN x.st = 'excepted' THEN x.n ELSE 0 END),
    SUM(CASE WHEN x.st = 'disabled' THEN x.n ELSE 0 END)
FROM history h
JOIN (SELECT t.cluster_id, t.scope, t.rule_id, t.n,
          CASE WHEN t.disabled THEN 'disabled'
               WHEN t.has_exception = 1 AND (t.exception_expires IS NULL
                    OR t.exception_expires > CAST(strftime('%s', 'now') AS INTEGER)) THEN 'excepted'
               ELSE t.outcome END AS st
      FROM tallies t) x ON x.cluster_id = h.cluster_id AND x.scope = h.scope
JOIN rules r ON r.id = x.rule_id
GROUP BY h.id, r.benchmark_id, r.section;
DROP TABLE score_history;

-- Outcome changes per finding: one row when a finding first appears, when its outcome
-- changes and when it is resolved (outcome NULL). `finding` is the findings rowid; `at` the
-- start of the cycle that saw the change.
CREATE TABLE finding_changes (
    finding INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    cycle   INTEGER NOT NULL,
    outcome TEXT,
    PRIMARY KEY (finding, at, cycle)
) WITHOUT ROWID;
CREATE INDEX finding_changes_by_cycle ON finding_changes (cycle);

-- The outcome last written to finding_changes (NULL after a resolution). Rows where it
-- differs from the current state are the ones the next log entry is written for; the partial
-- indexes hold only those, so finding them never scans a scope.
ALTER TABLE findings ADD COLUMN logged_outcome TEXT;
INSERT INTO finding_changes (finding, at, cycle, outcome)
SELECT rowid, last_seen, cycle, outcome FROM findings WHERE resolved_at IS NULL;
UPDATE findings SET logged_outcome = outcome WHERE resolved_at IS NULL;
CREATE INDEX unlogged_current ON findings (cluster_id, scope)
    WHERE resolved_at IS NULL AND logged_outcome IS NOT outcome;
CREATE INDEX unlogged_resolved ON findings (cluster_id, scope)
    WHERE resolved_at IS NOT NULL AND logged_outcome IS NOT NULL;

-- Resource type and kind beside the per-resource counts (group by resource shows them).
ALTER TABLE resource_tallies ADD COLUMN resource_type TEXT NOT NULL DEFAULT '';
ALTER TABLE resource_tallies ADD COLUMN sub_type TEXT NOT NULL DEFAULT '';
UPDATE resource_tallies SET
    resource_type = COALESCE((SELECT f.resource_type FROM findings f
        WHERE f.cluster_id = resource_tallies.cluster_id
          AND f.resource_id = resource_tallies.resource_id LIMIT 1), ''),
    sub_type = COALESCE((SELECT f.sub_type FROM findings f
        WHERE f.cluster_id = resource_tallies.cluster_id
          AND f.resource_id = resource_tallies.resource_id LIMIT 1), '');

-- Failed first, then errors, manual, passed; newest first within each (the findings page's
-- default order). The expression must match `kql::OUTCOME_RANK_SQL` exactly.
CREATE INDEX cur_rank ON findings (disabled,
    (CASE outcome WHEN 'failed' THEN 0 WHEN 'error' THEN 1 WHEN 'manual' THEN 2 ELSE 3 END),
    last_seen DESC) WHERE resolved_at IS NULL;
