-- kspm store schema, version 5: rule text per version. Every distinct text a rule was sent
-- with is kept once, and each finding points at the version its own cycle sent, so a cycle
-- of one cluster (one writer) cannot change the rule text shown with another cluster's
-- findings. `rules` stays the latest text, for lists of rules.

CREATE TABLE rule_versions (
    id      INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    doc     TEXT NOT NULL,
    UNIQUE (rule_id, doc)
);

ALTER TABLE staged_rules ADD COLUMN version INTEGER;
ALTER TABLE findings ADD COLUMN rule_version INTEGER;

INSERT INTO rule_versions (rule_id, doc) SELECT id, doc FROM rules;
UPDATE findings SET rule_version =
    (SELECT v.id FROM rule_versions v WHERE v.rule_id = findings.rule_id);
