-- kspm store schema, version 7: bare-text search reads a dictionary of the distinct text
-- values instead of a trigram index over every finding.
--
-- A million findings hold a few tens of thousands of distinct names: a search value is
-- matched against those, and the matching values are then looked up in the findings
-- indexes. Version 6's per-finding trigram index answered "which findings contain `pod`" with
-- posting lists as long as the findings table, and cost every ingested finding seven
-- tokenised columns.

-- Every text value a bare search looks in, once. Rule-level values (title, id, section,
-- number) are kept with their rule, so a match names rules; the others name themselves.
-- Rows are added by the findings triggers below and never removed: findings are never
-- deleted, and a value that an update replaced only matches nothing.
CREATE TABLE text_values (
    id      INTEGER PRIMARY KEY,
    -- 0 rule_name, 1 rule_id, 2 section, 3 rule_number, 4 resource_name, 5 namespace, 6 host.
    col     INTEGER NOT NULL,
    value   TEXT NOT NULL,
    -- The rule, for columns 0-3; '' otherwise.
    rule_id TEXT NOT NULL,
    UNIQUE (col, value, rule_id)
);

-- Substring search over the dictionary (trigram tokenizer, case folded). It only proposes
-- values; the exact comparison decides.
CREATE VIRTUAL TABLE text_values_fts USING fts5 (
    value, content = 'text_values', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
);

CREATE TRIGGER text_values_after_insert AFTER INSERT ON text_values BEGIN
    INSERT INTO text_values_fts (rowid, value) VALUES (new.id, new.value);
END;

CREATE TRIGGER text_values_after_delete AFTER DELETE ON text_values BEGIN
    INSERT INTO text_values_fts (text_values_fts, rowid, value) VALUES ('delete', old.id, old.value);
END;

-- New values only, tested rather than left to a conflict clause: findings are written by
-- upserts, and an outer statement's ON CONFLICT overrides the conflict clause of the
-- statements its triggers run. A NULL namespace or host is no value.
CREATE TRIGGER findings_text_values_after_insert AFTER INSERT ON findings BEGIN
    INSERT INTO text_values (col, value, rule_id)
    SELECT v.col, v.value, v.rule_id FROM (
        SELECT 0 AS col, new.rule_name AS value, new.rule_id AS rule_id
        UNION ALL SELECT 1, new.rule_id, new.rule_id
        UNION ALL SELECT 2, new.section, new.rule_id
        UNION ALL SELECT 3, new.rule_number, new.rule_id
        UNION ALL SELECT 4, new.resource_name, ''
        UNION ALL SELECT 5, new.namespace, ''
        UNION ALL SELECT 6, new.host, '') AS v
    WHERE v.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM text_values t
        WHERE t.col = v.col AND t.value = v.value AND t.rule_id = v.rule_id);
END;

CREATE TRIGGER findings_text_values_after_update
AFTER UPDATE OF rule_name, rule_id, section, rule_number, resource_name, namespace, host
ON findings
WHEN old.rule_name IS NOT new.rule_name OR old.rule_id IS NOT new.rule_id
    OR old.section IS NOT new.section OR old.rule_number IS NOT new.rule_number
    OR old.resource_name IS NOT new.resource_name OR old.namespace IS NOT new.namespace
    OR old.host IS NOT new.host
BEGIN
    INSERT INTO text_values (col, value, rule_id)
    SELECT v.col, v.value, v.rule_id FROM (
        SELECT 0 AS col, new.rule_name AS value, new.rule_id AS rule_id
        UNION ALL SELECT 1, new.rule_id, new.rule_id
        UNION ALL SELECT 2, new.section, new.rule_id
        UNION ALL SELECT 3, new.rule_number, new.rule_id
        UNION ALL SELECT 4, new.resource_name, ''
        UNION ALL SELECT 5, new.namespace, ''
        UNION ALL SELECT 6, new.host, '') AS v
    WHERE v.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM text_values t
        WHERE t.col = v.col AND t.value = v.value AND t.rule_id = v.rule_id);
END;

INSERT OR IGNORE INTO text_values (col, value, rule_id)
    SELECT DISTINCT 0, rule_name, rule_id FROM findings
    UNION ALL SELECT DISTINCT 1, rule_id, rule_id FROM findings
    UNION ALL SELECT DISTINCT 2, section, rule_id FROM findings
    UNION ALL SELECT DISTINCT 3, rule_number, rule_id FROM findings
    UNION ALL SELECT DISTINCT 4, resource_name, '' FROM findings
    UNION ALL SELECT DISTINCT 5, namespace, '' FROM findings WHERE namespace IS NOT NULL
    UNION ALL SELECT DISTINCT 6, host, '' FROM findings WHERE host IS NOT NULL;

DROP TRIGGER finding_text_after_insert;
DROP TRIGGER finding_text_after_delete;
DROP TRIGGER finding_text_after_update;
DROP TABLE finding_text;

-- The findings of one text value per outcome: current ones (`resolved_at IS NULL` is an
-- equality here) by last seen, then row. A bare-text search page is a merge of such short
-- ranges in any of the orders the pages offer (newest first; outcome rank, then newest), and
-- a query that also asks for resolved findings reads the value's rows without scanning the
-- table.
CREATE INDEX text_rule ON findings (rule_id, disabled, resolved_at, outcome, last_seen);
CREATE INDEX text_resource ON findings (resource_name, disabled, resolved_at, outcome, last_seen);
CREATE INDEX text_namespace ON findings (namespace, disabled, resolved_at, outcome, last_seen);
CREATE INDEX text_host ON findings (host, disabled, resolved_at, outcome, last_seen);

-- Sorting by outcome breaks ties newest first, then by the newest row (it was the oldest row),
-- as every other order does; the rank is declared descending so that one index walks both
-- directions: backwards failed first, forwards passed first.
DROP INDEX cur_rank;
CREATE INDEX cur_rank ON findings (disabled,
    (CASE outcome WHEN 'failed' THEN 0 WHEN 'error' THEN 1 WHEN 'manual' THEN 2 ELSE 3 END) DESC,
    last_seen) WHERE resolved_at IS NULL;
