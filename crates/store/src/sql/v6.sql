-- kspm store schema, version 6: a trigram full-text index over the text fields a bare
-- search value looks in, so that a substring search reads the findings that contain the
-- value's trigrams instead of every finding. The index holds no copy of the text
-- (content = findings) and no positions (detail = none): it only proposes rows, and the
-- search still checks each proposed row with the exact comparison.

CREATE VIRTUAL TABLE finding_text USING fts5 (
    rule_name, rule_id, section, rule_number, resource_name, namespace, host,
    content = 'findings', content_rowid = 'rowid', tokenize = 'trigram', detail = 'none'
);

CREATE TRIGGER finding_text_after_insert AFTER INSERT ON findings BEGIN
    INSERT INTO finding_text (rowid, rule_name, rule_id, section, rule_number, resource_name,
        namespace, host)
    VALUES (new.rowid, new.rule_name, new.rule_id, new.section, new.rule_number,
        new.resource_name, new.namespace, new.host);
END;

CREATE TRIGGER finding_text_after_delete AFTER DELETE ON findings BEGIN
    INSERT INTO finding_text (finding_text, rowid, rule_name, rule_id, section, rule_number,
        resource_name, namespace, host)
    VALUES ('delete', old.rowid, old.rule_name, old.rule_id, old.section, old.rule_number,
        old.resource_name, old.namespace, old.host);
END;

-- Cycles rewrite these columns on every finding they report, mostly with the same values:
-- only a real change touches the index.
CREATE TRIGGER finding_text_after_update
AFTER UPDATE OF rule_name, rule_id, section, rule_number, resource_name, namespace, host
ON findings
WHEN old.rule_name IS NOT new.rule_name OR old.rule_id IS NOT new.rule_id
    OR old.section IS NOT new.section OR old.rule_number IS NOT new.rule_number
    OR old.resource_name IS NOT new.resource_name OR old.namespace IS NOT new.namespace
    OR old.host IS NOT new.host
BEGIN
    INSERT INTO finding_text (finding_text, rowid, rule_name, rule_id, section, rule_number,
        resource_name, namespace, host)
    VALUES ('delete', old.rowid, old.rule_name, old.rule_id, old.section, old.rule_number,
        old.resource_name, old.namespace, old.host);
    INSERT INTO finding_text (rowid, rule_name, rule_id, section, rule_number, resource_name,
        namespace, host)
    VALUES (new.rowid, new.rule_name, new.rule_id, new.section, new.rule_number,
        new.resource_name, new.namespace, new.host);
END;

INSERT INTO finding_text (finding_text) VALUES ('rebuild');
