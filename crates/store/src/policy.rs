//! Rule enablement per cluster and exceptions.
//!
//! Both are materialised onto the finding rows (`disabled`, `exception_id`,
//! `exception_expires`) when they change and when a cycle is applied, so queries over a
//! million findings compare columns instead of evaluating selectors. Expiry is not
//! materialised: a row keeps the matching exception with the latest expiry, and queries compare
//! that expiry with "now".

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{Error, Exception, ExceptionScope, NewException, Result, Store};

/// SQL: 1 when the rule of row `a` is disabled for cluster `c` (a cluster setting overrides
/// the all-clusters one).
pub(crate) fn disabled_sql(a: &str, c: &str) -> String {
    format!(
        "COALESCE((SELECT NOT rs.enabled FROM rule_settings rs
                   WHERE rs.rule_id = {a}.rule_id AND rs.cluster_id = {c}),
                  (SELECT NOT rs.enabled FROM rule_settings rs
                   WHERE rs.rule_id = {a}.rule_id AND rs.cluster_id = ''), 0)"
    )
}

/// SQL: id of the exception matching row `a` of cluster `c` with the latest expiry (never
/// expiring first), or NULL.
pub(crate) fn exception_sql(a: &str, c: &str) -> String {
    format!(
        "(SELECT e.id FROM exceptions e
          WHERE e.rule_id = {a}.rule_id AND (e.cluster_id IS NULL OR e.cluster_id = {c})
            AND ((e.kind = 'resource' AND e.value = {a}.resource_id)
              OR (e.kind = 'namespace' AND e.value = {a}.namespace)
              OR (e.kind = 'labels' AND NOT EXISTS (
                    SELECT 1 FROM exception_labels el WHERE el.exception_id = e.id
                      AND NOT EXISTS (SELECT 1 FROM resource_labels rl
                          WHERE rl.cluster_id = {c} AND rl.resource_id = {a}.resource_id
                            AND rl.key = el.key AND rl.value = el.value))))
          ORDER BY e.expires_at IS NULL DESC, e.expires_at DESC, e.id LIMIT 1)"
    )
}

/// Parses `key=value[,key2=value2]` into pairs.
pub(crate) fn parse_selector(selector: &str) -> Result<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in selector.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            return Err(Error::Invalid(format!(
                "label selector part `{}` is not key=value",
                part.trim()
            )));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(Error::Invalid("label selector has an empty key".into()));
        }
        if pairs.iter().any(|(pk, _)| pk == k) {
            return Err(Error::Invalid(format!(
                "label `{k}` appears twice in the selector"
            )));
        }
        pairs.push((k.to_owned(), v.to_owned()));
    }
    Ok(pairs)
}

/// Re-materialises settings and exceptions on every finding of `rule_id`, then its tallies.
fn refresh_rule(tx: &Transaction<'_>, rule_id: &str) -> Result<()> {
    tx.execute(
        &format!(
            "UPDATE findings AS f SET disabled = {dis}, exception_id = {exc}
             WHERE f.rule_id = ?1",
            dis = disabled_sql("f", "f.cluster_id"),
            exc = exception_sql("f", "f.cluster_id"),
        ),
        [rule_id],
    )?;
    tx.execute(
        "UPDATE findings SET exception_expires =
             (SELECT e.expires_at FROM exceptions e WHERE e.id = findings.exception_id)
         WHERE rule_id = ?1",
        [rule_id],
    )?;
    crate::aggregate::refresh_rule(tx, rule_id)
}

fn scope_parts(scope: &ExceptionScope) -> (&'static str, &str) {
    match scope {
        ExceptionScope::Resource(v) => ("resource", v),
        ExceptionScope::Namespace(v) => ("namespace", v),
        ExceptionScope::Labels(v) => ("labels", v),
    }
}

impl Store {
    /// Enables or disables a rule for one cluster, or for every cluster when `cluster_id` is
    /// `None` (a per-cluster setting wins over the all-clusters one). Findings of a disabled
    /// rule stay stored but leave scores and default search results.
    pub fn set_rule_enabled(
        &self,
        cluster_id: Option<&str>,
        rule_id: &str,
        enabled: bool,
        author: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO rule_settings (cluster_id, rule_id, enabled, author, updated_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (rule_id, cluster_id) DO UPDATE SET enabled = excluded.enabled,
                 author = excluded.author, updated_at = excluded.updated_at",
            params![cluster_id.unwrap_or(""), rule_id, enabled, author, now],
        )?;
        refresh_rule(&tx, rule_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Whether a rule is enabled for a cluster (or for all clusters when `None`).
    pub fn rule_enabled(&self, cluster_id: Option<&str>, rule_id: &str) -> Result<bool> {
        self.read(|conn| {
            let get = |c: &str| -> Result<Option<bool>> {
                Ok(conn
                    .query_row(
                        "SELECT enabled FROM rule_settings WHERE rule_id = ? AND cluster_id = ?",
                        params![rule_id, c],
                        |r| r.get(0),
                    )
                    .optional()?)
            };
            let cluster = match cluster_id {
                Some(c) => get(c)?,
                None => None,
            };
            Ok(cluster.or(get("")?).unwrap_or(true))
        })
    }

    /// Adds an exception and returns its id. A finding it matches is shown as excepted (its
    /// outcome unchanged) until `expires_at`.
    pub fn add_exception(&self, new: &NewException) -> Result<i64> {
        if new.rule_id.is_empty() {
            return Err(Error::Invalid("an exception needs a rule id".into()));
        }
        if new.reason.trim().is_empty() {
            return Err(Error::Invalid("an exception needs a reason".into()));
        }
        let (kind, value) = scope_parts(&new.scope);
        if value.trim().is_empty() {
            return Err(Error::Invalid(format!("the exception's {kind} is empty")));
        }
        let labels = match &new.scope {
            ExceptionScope::Labels(sel) => parse_selector(sel)?,
            _ => Vec::new(),
        };
        let now = self.now();
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO exceptions (rule_id, cluster_id, kind, value, reason, expires_at,
                 author, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                new.rule_id,
                new.cluster_id,
                kind,
                value.trim(),
                new.reason,
                new.expires_at,
                new.author,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (k, v) in &labels {
            tx.execute(
                "INSERT INTO exception_labels (exception_id, key, value) VALUES (?, ?, ?)",
                params![id, k, v],
            )?;
        }
        refresh_rule(&tx, &new.rule_id)?;
        tx.commit()?;
        Ok(id)
    }

    /// Every exception, newest first, with whether it is still active.
    pub fn list_exceptions(&self) -> Result<Vec<Exception>> {
        let now = self.now();
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, rule_id, cluster_id, kind, value, reason, expires_at, author,
                     created_at FROM exceptions ORDER BY id DESC",
            )?;
            let rows = stmt.query_map([], |r| exception_from_row(r, now))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One exception.
    pub fn exception(&self, id: i64) -> Result<Option<Exception>> {
        let now = self.now();
        self.read(|conn| Ok(exception_by_id(conn, id, now)?))
    }

    /// Removes an exception; returns whether it existed.
    pub fn remove_exception(&self, id: i64) -> Result<bool> {
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rule: Option<String> = tx
            .query_row("SELECT rule_id FROM exceptions WHERE id = ?", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(rule) = rule else {
            return Ok(false);
        };
        tx.execute("DELETE FROM exceptions WHERE id = ?", [id])?;
        refresh_rule(&tx, &rule)?;
        tx.commit()?;
        Ok(true)
    }
}

pub(crate) fn exception_by_id(
    conn: &rusqlite::Connection,
    id: i64,
    now: i64,
) -> rusqlite::Result<Option<Exception>> {
    conn.query_row(
        "SELECT id, rule_id, cluster_id, kind, value, reason, expires_at, author, created_at
         FROM exceptions WHERE id = ?",
        [id],
        |r| exception_from_row(r, now),
    )
    .optional()
}

fn exception_from_row(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<Exception> {
    let kind: String = r.get(3)?;
    let value: String = r.get(4)?;
    let expires_at: Option<i64> = r.get(6)?;
    Ok(Exception {
        id: r.get(0)?,
        rule_id: r.get(1)?,
        cluster_id: r.get(2)?,
        scope: match kind.as_str() {
            "resource" => ExceptionScope::Resource(value),
            "namespace" => ExceptionScope::Namespace(value),
            _ => ExceptionScope::Labels(value),
        },
        reason: r.get(5)?,
        expires_at,
        author: r.get(7)?,
        created_at: r.get(8)?,
        active: expires_at.is_none_or(|t| t > now),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_selector;

    #[test]
    fn selectors_parse_and_reject_malformed_parts() {
        assert_eq!(
            parse_selector("app=web, tier = front").unwrap(),
            vec![
                ("app".into(), "web".into()),
                ("tier".into(), "front".into())
            ]
        );
        assert_eq!(
            parse_selector("app=").unwrap(),
            vec![("app".into(), "".into())]
        );
        for bad in ["", "app", "=web", "a=1,a=2", "a=1,,b=2"] {
            assert!(parse_selector(bad).is_err(), "{bad}");
        }
    }
}
