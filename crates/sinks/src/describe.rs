//! Short, single-line descriptions of findings and resources, shared by the formats people
//! read (table, SARIF messages, JUnit names), so that they all say the same thing.

use std::cmp::Ordering;

use kspm_model::{Finding, Outcome};

/// How many characters of evidence a one-line summary keeps.
pub(crate) const SUMMARY_CHARS: usize = 100;

/// The evidence as compact JSON on one line, cut to [`SUMMARY_CHARS`]; empty when there is
/// no evidence.
pub(crate) fn evidence_summary(finding: &Finding) -> String {
    match finding.result.evidence.as_str() {
        "null" => String::new(),
        // Compact JSON is one line already; `single_line` also catches what JSON leaves raw
        // (DEL, C1 controls, bidi overrides).
        evidence => truncate_chars(&single_line(evidence), SUMMARY_CHARS),
    }
}

/// What a reader needs on one line: the error message for `error` findings, else the
/// evidence summary.
pub(crate) fn detail(finding: &Finding) -> String {
    match (&finding.error, finding.outcome()) {
        (Some(error), Outcome::Error) => {
            truncate_chars(&single_line(&error.message), SUMMARY_CHARS)
        }
        _ => evidence_summary(finding),
    }
}

/// The object kind (`Deployment`), or the resource sub type for node and cloud resources.
pub(crate) fn resource_kind(finding: &Finding) -> &str {
    match &finding.orchestrator.resource {
        Some(object) => &object.kind,
        None => &finding.resource.sub_type,
    }
}

/// The object name without namespace, or the display name for other resources.
pub(crate) fn resource_short_name(finding: &Finding) -> &str {
    match &finding.orchestrator.resource {
        Some(object) => &object.name,
        None => &finding.resource.name,
    }
}

/// The namespace of a namespaced Kubernetes object.
pub(crate) fn resource_namespace(finding: &Finding) -> Option<&str> {
    finding
        .orchestrator
        .resource
        .as_ref()
        .and_then(|o| o.namespace.as_deref())
}

/// A stable path naming the resource: `Kind/namespace/name` for namespaced objects,
/// `Kind/name` for cluster-scoped ones, `[node/]sub_type:name` for node and cloud resources.
pub(crate) fn qualified_name(finding: &Finding) -> String {
    match &finding.orchestrator.resource {
        Some(object) => match &object.namespace {
            Some(ns) => format!("{}/{ns}/{}", object.kind, object.name),
            None => format!("{}/{}", object.kind, object.name),
        },
        None => {
            let local = format!("{}:{}", finding.resource.sub_type, finding.resource.name);
            match &finding.host {
                Some(host) => format!("{}/{local}", host.name),
                None => local,
            }
        }
    }
}

/// `Kind display-name`, as used in sentences (`Pod shop/web-0`).
pub(crate) fn resource_label(finding: &Finding) -> String {
    format!("{} {}", resource_kind(finding), finding.resource.name)
}

/// Orders benchmark numbers as people read them: `1.2.9` before `1.2.10`. Parts that are
/// not numbers compare as text.
pub(crate) fn compare_rule_numbers(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// The order findings of one resource or one section are listed in: by benchmark number,
/// then rule id, then resource name, then finding id (unique per cluster, resource and rule,
/// so ties never depend on input order). Kept instead of the finding by the formats that list
/// findings only at the end (table, JUnit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleOrder {
    rule_number: String,
    rule_id: String,
    resource_name: String,
    finding_id: String,
}

impl RuleOrder {
    pub(crate) fn of(finding: &Finding) -> RuleOrder {
        RuleOrder {
            rule_number: finding.rule.benchmark.rule_number.clone(),
            rule_id: finding.rule.id.to_string(),
            resource_name: finding.resource.name.clone(),
            finding_id: finding.event.id.clone(),
        }
    }
}

impl Ord for RuleOrder {
    fn cmp(&self, other: &RuleOrder) -> Ordering {
        compare_rule_numbers(&self.rule_number, &other.rule_number)
            .then_with(|| self.rule_id.cmp(&other.rule_id))
            .then_with(|| self.resource_name.cmp(&other.resource_name))
            .then_with(|| self.finding_id.cmp(&other.finding_id))
    }
}

impl PartialOrd for RuleOrder {
    fn partial_cmp(&self, other: &RuleOrder) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Cuts `text` to at most `max` characters, marking the cut with `…`.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Makes text from the scanned input safe to print on one terminal line: control characters
/// (newlines, escape sequences) and bidirectional overrides are shown escaped instead of
/// acting on the terminal or reordering what the reader sees.
pub(crate) fn single_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_numbers_compare_numerically_per_part() {
        assert_eq!(compare_rule_numbers("1.2.9", "1.2.10"), Ordering::Less);
        assert_eq!(compare_rule_numbers("5.1", "5.1.1"), Ordering::Less);
        assert_eq!(compare_rule_numbers("4.2.1", "4.2.1"), Ordering::Equal);
        assert_eq!(compare_rule_numbers("10.1", "9.9"), Ordering::Greater);
        assert_eq!(
            compare_rule_numbers("hostPath", "privileged"),
            Ordering::Less
        );
    }

    #[test]
    fn truncation_counts_characters_not_bytes_and_marks_the_cut() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars("ääääääääää", 10), "ääääääääää");
        assert_eq!(
            truncate_chars(&"ä".repeat(11), 10),
            format!("{}…", "ä".repeat(9))
        );
        assert_eq!(truncate_chars("abcdef", 4).chars().count(), 4);
    }

    #[test]
    fn single_line_escapes_newlines_escape_sequences_and_bidi_overrides() {
        assert_eq!(single_line("a\nb"), "a\\nb");
        assert_eq!(single_line("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(single_line("abc\u{202E}def"), "abc\\u{202e}def");
        assert_eq!(single_line("<script>ünï</script>"), "<script>ünï</script>");
    }
}
