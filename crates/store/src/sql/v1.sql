-- kspm store schema, version 1: clusters, cycles, staged batches, latest findings,
-- rule text, resources and their labels.

CREATE TABLE clusters (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    version    TEXT,
    platform   TEXT,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);

-- One row per evaluation cycle of one (cluster, scope).
CREATE TABLE cycles (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    cluster_id  TEXT NOT NULL REFERENCES clusters(id),
    scope       TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    summary     TEXT
);
CREATE INDEX cycles_by_scope ON cycles (cluster_id, scope, finished_at, started_at);

-- Batches received, for idempotent re-delivery.
CREATE TABLE cycle_batches (
    cycle    INTEGER NOT NULL REFERENCES cycles(seq) ON DELETE CASCADE,
    batch    INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    PRIMARY KEY (cycle, batch)
) WITHOUT ROWID;

-- Findings of cycles that have not completed yet; applied to `findings` on completion.
CREATE TABLE staged_findings (
    cycle         INTEGER NOT NULL,
    id            TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    rule_id       TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    sub_type      TEXT NOT NULL,
    namespace     TEXT,
    host          TEXT,
    rule_name     TEXT NOT NULL,
    section       TEXT NOT NULL,
    benchmark_id  TEXT NOT NULL,
    rule_number   TEXT NOT NULL,
    detail        TEXT NOT NULL,
    PRIMARY KEY (cycle, id)
);

CREATE TABLE staged_resources (
    cycle       INTEGER NOT NULL,
    resource_id TEXT NOT NULL,
    doc         TEXT NOT NULL,
    labels      TEXT,
    PRIMARY KEY (cycle, resource_id)
);

CREATE TABLE staged_rules (
    cycle             INTEGER NOT NULL,
    rule_id           TEXT NOT NULL,
    name              TEXT NOT NULL,
    section           TEXT NOT NULL,
    benchmark_id      TEXT NOT NULL,
    benchmark_name    TEXT NOT NULL,
    benchmark_version TEXT NOT NULL,
    rule_number       TEXT NOT NULL,
    doc               TEXT NOT NULL,
    PRIMARY KEY (cycle, rule_id)
);

-- Rule text as the latest completed cycle sent it (shared by all findings of the rule).
CREATE TABLE rules (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    section           TEXT NOT NULL,
    benchmark_id      TEXT NOT NULL,
    benchmark_name    TEXT NOT NULL,
    benchmark_version TEXT NOT NULL,
    rule_number       TEXT NOT NULL,
    doc               TEXT NOT NULL
);

-- Resource facts (resource.raw, file.*, process.*, cloud.*), stored once per resource.
CREATE TABLE resources (
    cluster_id  TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (cluster_id, resource_id)
);

-- Kubernetes labels of k8s_object resources, for label-selector exceptions.
CREATE TABLE resource_labels (
    cluster_id  TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (cluster_id, resource_id, key)
) WITHOUT ROWID;

-- The latest finding per (cluster, resource, rule); `id` = finding_id(cluster, resource, rule).
CREATE TABLE findings (
    rowid             INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    cluster_id        TEXT NOT NULL,
    scope             TEXT NOT NULL,
    cycle             INTEGER NOT NULL,
    resource_id       TEXT NOT NULL,
    rule_id           TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    resource_name     TEXT NOT NULL,
    resource_type     TEXT NOT NULL,
    sub_type          TEXT NOT NULL,
    namespace         TEXT,
    host              TEXT,
    rule_name         TEXT NOT NULL,
    section           TEXT NOT NULL,
    benchmark_id      TEXT NOT NULL,
    rule_number       TEXT NOT NULL,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    resolved_at       INTEGER,
    -- Materialised from rule_settings whenever a setting or the finding changes.
    disabled          INTEGER NOT NULL DEFAULT 0,
    -- The matching exception with the latest expiry (NULL expiry = never), materialised from
    -- `exceptions`; whether it is still active is decided at query time.
    exception_id      INTEGER,
    exception_expires INTEGER,
    detail            TEXT NOT NULL
);

-- Per-cluster rule enablement; cluster_id '' = every cluster (a cluster row overrides it).
CREATE TABLE rule_settings (
    cluster_id TEXT NOT NULL,
    rule_id    TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    author     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (rule_id, cluster_id)
) WITHOUT ROWID;

CREATE TABLE exceptions (
    id         INTEGER PRIMARY KEY,
    rule_id    TEXT NOT NULL,
    cluster_id TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('resource', 'namespace', 'labels')),
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    expires_at INTEGER,
    author     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX exceptions_by_rule ON exceptions (rule_id);

-- The key=value pairs of `labels` exceptions.
CREATE TABLE exception_labels (
    exception_id INTEGER NOT NULL REFERENCES exceptions(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (exception_id, key)
) WITHOUT ROWID;
