//! `table`: findings grouped by resource for people at a terminal.
//!
//! Resources come most-failed first; under each, its failed, error and manual findings (passed
//! ones are only counted). A footer gives the outcome counts and the posture score overall and
//! per benchmark. No colour and no terminal-width logic, so the output is the same everywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use kspm_model::{Finding, Outcome, Tally};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::describe::{
    compare_by_rule, detail, resource_kind, resource_namespace, resource_short_name, single_line,
};
use crate::{Emitter, Report, Result};

/// Rule titles wider than this many terminal columns are cut so the evidence stays in view.
const TITLE_COLUMNS: usize = 60;

/// Writes the human-readable table.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableEmitter;

impl Emitter for TableEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        out.write_all(render(report).as_bytes())?;
        Ok(())
    }
}

/// The findings of one resource.
struct ResourceBlock<'a> {
    /// Any of its findings; they all describe the same resource.
    first: &'a Finding,
    tally: Tally,
    /// Failed, error and manual findings, in display order.
    listed: Vec<&'a Finding>,
}

/// One row under a resource header, already made printable.
struct Row {
    outcome: &'static str,
    number: String,
    title: String,
    detail: String,
}

fn render(report: &Report) -> String {
    let blocks = resource_blocks(report);
    let rows: Vec<Vec<Row>> = blocks
        .iter()
        .map(|b| b.listed.iter().map(|f| row(f)).collect())
        .collect();
    let number_width = rows
        .iter()
        .flatten()
        .map(|r| r.number.width())
        .max()
        .unwrap_or(0);
    let title_width = rows
        .iter()
        .flatten()
        .map(|r| r.title.width())
        .max()
        .unwrap_or(0);

    let mut text = String::new();
    if blocks.is_empty() {
        text.push_str("No findings.\n");
    }
    for (block, rows) in blocks.iter().zip(&rows) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&header(block));
        text.push('\n');
        for row in rows {
            let line = format!(
                "  {:<6}  {}  {}  {}",
                row.outcome,
                pad(&row.number, number_width),
                pad(&row.title, title_width),
                row.detail
            );
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    text.push('\n');
    footer(report, &mut text);
    text
}

/// Groups scored, error and manual findings by resource id, most failed first, then by name.
fn resource_blocks(report: &Report) -> Vec<ResourceBlock<'_>> {
    let mut by_id: BTreeMap<&str, ResourceBlock<'_>> = BTreeMap::new();
    for finding in report
        .findings
        .iter()
        .filter(|f| f.outcome() != Outcome::NotApplicable)
    {
        let block = by_id
            .entry(finding.resource.id.as_str())
            .or_insert_with(|| ResourceBlock {
                first: finding,
                tally: Tally::default(),
                listed: Vec::new(),
            });
        block.tally.add(finding.outcome());
        if finding.outcome() != Outcome::Passed {
            block.listed.push(finding);
        }
    }
    let mut blocks: Vec<ResourceBlock<'_>> = by_id.into_values().collect();
    for block in &mut blocks {
        block.listed.sort_by(|a, b| {
            outcome_rank(a)
                .cmp(&outcome_rank(b))
                .then_with(|| compare_by_rule(a, b))
        });
    }
    // `by_id` was ordered by id, and the sort is stable, so equal keys keep a fixed order.
    blocks.sort_by(|a, b| {
        b.tally
            .failed
            .cmp(&a.tally.failed)
            .then_with(|| a.first.resource.name.cmp(&b.first.resource.name))
            .then_with(|| resource_kind(a.first).cmp(resource_kind(b.first)))
    });
    blocks
}

/// Failed first: that is what needs fixing; errors next, since they hide a verdict.
fn outcome_rank(finding: &Finding) -> u8 {
    match finding.outcome() {
        Outcome::Failed => 0,
        Outcome::Error => 1,
        Outcome::Manual => 2,
        Outcome::Passed | Outcome::NotApplicable => 3,
    }
}

fn row(finding: &Finding) -> Row {
    Row {
        outcome: match finding.outcome() {
            Outcome::Failed => "FAILED",
            Outcome::Error => "ERROR",
            Outcome::Manual => "MANUAL",
            Outcome::Passed => "PASSED",
            Outcome::NotApplicable => "N/A",
        },
        number: single_line(&finding.rule.benchmark.rule_number),
        title: truncate_columns(&single_line(&finding.rule.name), TITLE_COLUMNS),
        detail: detail(finding),
    }
}

/// `Deployment web (namespace shop, manifests/app.yaml:12) — 2 failed / 3 passed / 1 error`
fn header(block: &ResourceBlock<'_>) -> String {
    let finding = block.first;
    let mut context = Vec::new();
    if let Some(ns) = resource_namespace(finding) {
        context.push(format!("namespace {}", single_line(ns)));
    }
    if let Some(host) = &finding.host {
        context.push(format!("node {}", single_line(&host.name)));
    }
    if let Some(source) = &finding.source {
        context.push(format!("{}:{}", single_line(&source.file), source.line));
    }
    let mut line = format!(
        "{} {}",
        single_line(resource_kind(finding)),
        single_line(resource_short_name(finding))
    );
    if !context.is_empty() {
        let _ = write!(line, " ({})", context.join(", "));
    }
    let tally = &block.tally;
    let _ = write!(line, " — {} failed / {} passed", tally.failed, tally.passed);
    if tally.error > 0 {
        let _ = write!(line, " / {} error", tally.error);
    }
    if tally.manual > 0 {
        let _ = write!(line, " / {} manual", tally.manual);
    }
    line
}

fn footer(report: &Report, text: &mut String) {
    let total = report.tally();
    let _ = writeln!(
        text,
        "Findings: {} failed, {} passed, {} manual, {} error, {} not applicable",
        total.failed, total.passed, total.manual, total.error, report.not_applicable
    );
    let _ = writeln!(text, "Posture score: {}", score(&total));
    let by_benchmark = report.tally_by_benchmark();
    let id_width = by_benchmark.keys().map(|id| id.width()).max().unwrap_or(0);
    for (id, tally) in &by_benchmark {
        let _ = writeln!(
            text,
            "  {}  {}",
            pad(&single_line(id), id_width),
            score(tally)
        );
    }
    let _ = writeln!(text, "Resources evaluated: {}", report.resources_evaluated);
    let _ = writeln!(text, "Input errors: {}", report.input_errors.len());
}

/// `75.0% (3 passed / 4 scored)`, or `n/a (nothing scored)`.
fn score(tally: &Tally) -> String {
    let scored = tally.passed + tally.failed;
    match tally.score() {
        Some(percent) => format!("{percent:.1}% ({} passed / {scored} scored)", tally.passed),
        None => "n/a (nothing scored)".to_owned(),
    }
}

/// Pads with spaces to `columns` terminal columns (wide characters count twice).
fn pad(text: &str, columns: usize) -> String {
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(text.width()),
    ));
    padded
}

/// Cuts `text` to at most `columns` terminal columns, marking the cut with `…`.
fn truncate_columns(text: &str, columns: usize) -> String {
    if text.width() <= columns {
        return text.to_owned();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fixtures::{Target, finding, rule, scored};

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            findings,
            resources_evaluated: 4,
            tool_version: "0.1.0".into(),
            ..Report::default()
        }
    }

    #[test]
    fn three_passed_one_failed_scores_75_percent() {
        let text = render(&report(scored("cis_k8s", 3, 1)));
        assert!(
            text.contains("Posture score: 75.0% (3 passed / 4 scored)\n"),
            "{text}"
        );
        assert!(
            text.contains("  cis_k8s  75.0% (3 passed / 4 scored)\n"),
            "{text}"
        );
    }

    #[test]
    fn score_is_rounded_to_one_decimal_and_na_when_nothing_scored() {
        let text = render(&report(scored("pss", 2, 1)));
        assert!(
            text.contains("Posture score: 66.7% (2 passed / 3 scored)"),
            "{text}"
        );
        let empty = render(&Report::default());
        assert!(empty.starts_with("No findings.\n"), "{empty}");
        assert!(
            empty.contains("Posture score: n/a (nothing scored)"),
            "{empty}"
        );
    }

    #[test]
    fn passed_findings_are_counted_but_not_listed() {
        let text = render(&report(scored("cis_k8s", 3, 1)));
        assert_eq!(text.matches("FAILED").count(), 1, "{text}");
        assert!(!text.contains("PASSED"), "{text}");
        assert!(
            text.contains("Pod pod-3 (namespace ns) — 1 failed / 0 passed\n"),
            "{text}"
        );
        assert!(
            text.contains("Pod pod-0 (namespace ns) — 0 failed / 1 passed\n"),
            "{text}"
        );
    }

    #[test]
    fn resources_with_more_failures_come_first_then_by_name() {
        let one = rule("one", "cis_k8s", "5.1.1", "One", "RBAC");
        let two = rule("two", "cis_k8s", "5.1.2", "Two", "RBAC");
        let a = Target::object("Pod", Some("ns"), "a");
        let b = Target::object("Pod", Some("ns"), "b");
        let z = Target::object("Pod", Some("ns"), "z");
        let text = render(&report(vec![
            finding(&one, &a, Outcome::Failed, json!(null)),
            finding(&one, &b, Outcome::Failed, json!(null)),
            finding(&one, &z, Outcome::Failed, json!(null)),
            finding(&two, &z, Outcome::Failed, json!(null)),
        ]));
        let order: Vec<usize> = ["Pod z ", "Pod a ", "Pod b "]
            .iter()
            .map(|h| text.find(h).unwrap())
            .collect();
        assert!(order.is_sorted(), "{text}");
    }

    #[test]
    fn long_titles_are_cut_to_the_title_column() {
        assert_eq!(truncate_columns("abcdef", 4), "abc…");
        assert_eq!(truncate_columns("日本語", 4), "日…");
        assert_eq!(truncate_columns("abc", 4), "abc");
    }
}
