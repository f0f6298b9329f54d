-- kspm store schema, version 2: aggregates kept current on every cycle completion, score
-- history, and covering indexes for the findings page.

-- Counts of current findings per (cluster, scope, rule, outcome, disabled, exception state).
-- The dashboard sums these few thousand rows instead of a million findings.
CREATE TABLE tallies (
    cluster_id        TEXT NOT NULL,
    scope             TEXT NOT NULL,
    rule_id           TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    disabled          INTEGER NOT NULL,
    has_exception     INTEGER NOT NULL,
    exception_expires INTEGER,
    n                 INTEGER NOT NULL
);
CREATE INDEX tallies_by_scope ON tallies (cluster_id, scope);
CREATE INDEX tallies_by_rule ON tallies (rule_id);

-- Resources with current findings, per (cluster, scope).
CREATE TABLE scope_stats (
    cluster_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    resources  INTEGER NOT NULL,
    last_cycle INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, scope)
) WITHOUT ROWID;

-- The score right after each completed cycle, per benchmark and section. cluster_id '' is the
-- total over all clusters at that moment.
CREATE TABLE score_history (
    cycle        INTEGER NOT NULL,
    cluster_id   TEXT NOT NULL,
    at           INTEGER NOT NULL,
    benchmark_id TEXT NOT NULL,
    section      TEXT NOT NULL,
    passed       INTEGER NOT NULL,
    failed       INTEGER NOT NULL
);
CREATE INDEX score_history_by_cluster ON score_history (cluster_id, at);

-- Covering indexes over current findings (every default query says `resolved_at IS NULL`).
-- Most end in last_seen so that a filtered page sorted by last_seen is chosen from the index
-- alone; only the page's rows are then read.
CREATE INDEX cur_outcome ON findings (outcome, disabled, last_seen) WHERE resolved_at IS NULL;
CREATE INDEX cur_last_seen ON findings (disabled, last_seen) WHERE resolved_at IS NULL;
CREATE INDEX cur_section ON findings (section, disabled, last_seen) WHERE resolved_at IS NULL;
CREATE INDEX cur_section_outcome ON findings (section, disabled, outcome, last_seen) WHERE resolved_at IS NULL;
CREATE INDEX cur_resource_name ON findings (disabled, resource_name) WHERE resolved_at IS NULL;
CREATE INDEX cur_rule ON findings (rule_id, disabled, outcome, cluster_id, last_seen) WHERE resolved_at IS NULL;
CREATE INDEX cur_resource ON findings (cluster_id, resource_id, disabled, outcome, exception_id, exception_expires) WHERE resolved_at IS NULL;
CREATE INDEX cur_namespace ON findings (namespace, disabled, outcome, last_seen) WHERE resolved_at IS NULL;
CREATE INDEX cur_host ON findings (host, disabled, outcome, last_seen) WHERE resolved_at IS NULL;
-- Also serves resolution (`cycle`) and per-scope resource counts without touching rows.
CREATE INDEX cur_scope_tally ON findings (cluster_id, scope, rule_id, outcome, disabled, exception_id, exception_expires, resource_id, cycle) WHERE resolved_at IS NULL;

-- Outcome counts per resource over current findings of enabled rules (the default "group by
-- resource" and "group by namespace" views), refreshed per scope like `tallies`.
CREATE TABLE resource_tallies (
    cluster_id    TEXT NOT NULL,
    scope         TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    namespace     TEXT,
    passed        INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    manual        INTEGER NOT NULL,
    error         INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, scope, resource_id)
) WITHOUT ROWID;
CREATE INDEX resource_tallies_by_failed ON resource_tallies (failed DESC, total DESC, resource_id);

-- Findings carrying an exception are few; this finds them without scanning the rest.
CREATE INDEX cur_excepted ON findings (exception_id, exception_expires) WHERE exception_id IS NOT NULL AND resolved_at IS NULL;
