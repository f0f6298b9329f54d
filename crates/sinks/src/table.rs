//! `table`: findings grouped by resource for people at a terminal.
//!
//! Resources come most-failed first; under each, its failed, error and manual findings (passed
//! ones are only counted). A footer gives the outcome counts and the posture score overall and
//! per benchmark. No colour and no terminal-width logic, so the output is the same everywhere.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;

use kspm_model::{Finding, Outcome, ResourceFindings, Tally};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::describe::{
    RuleOrder, detail, resource_kind, resource_namespace, resource_short_name, single_line,
};
use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// Rule titles wider than this many terminal columns are cut so the evidence stays in view.
const TITLE_COLUMNS: usize = 60;

/// Writes the human-readable table once the run is over (resources are ordered by how many of
/// their findings failed). Keeps, per resource, its header, its outcome counts and one short
/// row per failed, error or manual finding: never the findings themselves.
pub struct TableSink<W: Write> {
    out: W,
    blocks: Vec<ResourceBlock>,
    /// Resource id → index in `blocks` (a resource read twice is one block).
    by_id: HashMap<String, usize>,
    total: Tally,
    by_benchmark: BTreeMap<String, Tally>,
    input_errors: usize,
    delivered: Delivery,
}

impl<W: Write> TableSink<W> {
    /// The table on `out`.
    pub fn new(out: W) -> TableSink<W> {
        TableSink {
            out,
            blocks: Vec::new(),
            by_id: HashMap::new(),
            total: Tally::default(),
            by_benchmark: BTreeMap::new(),
            input_errors: 0,
            delivered: Delivery::default(),
        }
    }
}

impl<W: Write> Sink for TableSink<W> {
    fn name(&self) -> String {
        "table output".into()
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.input_errors = run.input_errors.len();
        Ok(())
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        for finding in batch
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.outcome() != Outcome::NotApplicable)
        {
            let index = match self.by_id.get(finding.resource.id.as_str()) {
                Some(&i) => i,
                None => {
                    self.blocks.push(ResourceBlock::new(finding));
                    self.by_id
                        .insert(finding.resource.id.clone(), self.blocks.len() - 1);
                    self.blocks.len() - 1
                }
            };
            let block = &mut self.blocks[index];
            block.tally.add(finding.outcome());
            if finding.outcome() != Outcome::Passed {
                block.rows.push(Row::new(finding));
            }
            self.total.add(finding.outcome());
            self.by_benchmark
                .entry(finding.rule.benchmark.id.clone())
                .or_default()
                .add(finding.outcome());
            self.delivered.findings += 1;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &RunSummary) -> Result<Delivery, SinkError> {
        let blocks = std::mem::take(&mut self.blocks);
        let text = render(
            blocks,
            &Footer {
                total: self.total,
                by_benchmark: &self.by_benchmark,
                not_applicable: summary.not_applicable,
                resources_evaluated: summary.resources_evaluated,
                input_errors: self.input_errors,
            },
        );
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| crate::file_error(self, e.into(), &self.delivered))?;
        Ok(self.delivered.clone())
    }
}

/// What the table keeps of one resource.
struct ResourceBlock {
    /// `Deployment web (namespace shop, manifests/app.yaml:12)`, without the counts.
    title: String,
    /// Sort keys: display name and kind.
    name: String,
    kind: String,
    tally: Tally,
    /// Failed, error and manual findings.
    rows: Vec<Row>,
}

impl ResourceBlock {
    fn new(finding: &Finding) -> ResourceBlock {
        let mut context = Vec::new();
        if let Some(ns) = resource_namespace(finding) {
            context.push(format!("namespace {}", single_line(ns)));
        }
        if let Some(host) = &finding.host {
            context.push(format!("node {}", single_line(&host.name)));
        }
        if let Some(source) = finding.source.as_ref().and_then(|s| s.file()) {
            context.push(format!("{}:{}", single_line(&source.file), source.line));
        }
        let mut title = format!(
            "{} {}",
            single_line(resource_kind(finding)),
            single_line(resource_short_name(finding))
        );
        if !context.is_empty() {
            let _ = write!(title, " ({})", context.join(", "));
        }
        ResourceBlock {
            title,
            name: finding.resource.name.clone(),
            kind: resource_kind(finding).to_owned(),
            tally: Tally::default(),
            rows: Vec::new(),
        }
    }

    /// `<title> — 2 failed / 3 passed / 1 error`
    fn header(&self) -> String {
        let mut line = self.title.clone();
        let tally = &self.tally;
        let _ = write!(line, " — {} failed / {} passed", tally.failed, tally.passed);
        if tally.error > 0 {
            let _ = write!(line, " / {} error", tally.error);
        }
        if tally.manual > 0 {
            let _ = write!(line, " / {} manual", tally.manual);
        }
        line
    }
}

/// One row under a resource header, already made printable, with its sort keys.
struct Row {
    rank: u8,
    order: RuleOrder,
    outcome: &'static str,
    number: String,
    title: String,
    detail: String,
}

impl Row {
    fn new(finding: &Finding) -> Row {
        Row {
            rank: outcome_rank(finding),
            order: RuleOrder::of(finding),
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

    /// Failed first, then by rule.
    fn order(&self, other: &Row) -> std::cmp::Ordering {
        (self.rank, &self.order).cmp(&(other.rank, &other.order))
    }
}

/// The totals under the table.
struct Footer<'a> {
    total: Tally,
    by_benchmark: &'a BTreeMap<String, Tally>,
    not_applicable: usize,
    resources_evaluated: usize,
    input_errors: usize,
}

fn render(mut blocks: Vec<ResourceBlock>, footer: &Footer<'_>) -> String {
    for block in &mut blocks {
        block.rows.sort_by(|a, b| a.order(b));
    }
    // Blocks arrive in a fixed order (name, kind, id) and the sort is stable, so equal keys
    // keep a fixed order.
    blocks.sort_by(|a, b| {
        b.tally
            .failed
            .cmp(&a.tally.failed)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    let number_width = blocks
        .iter()
        .flat_map(|b| &b.rows)
        .map(|r| r.number.width())
        .max()
        .unwrap_or(0);
    let title_width = blocks
        .iter()
        .flat_map(|b| &b.rows)
        .map(|r| r.title.width())
        .max()
        .unwrap_or(0);

    let mut text = String::new();
    if blocks.is_empty() {
        text.push_str("No findings.\n");
    }
    for block in &blocks {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&block.header());
        text.push('\n');
        for row in &block.rows {
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
    write_footer(footer, &mut text);
    text
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

fn write_footer(footer: &Footer<'_>, text: &mut String) {
    let total = &footer.total;
    let _ = writeln!(
        text,
        "Findings: {} failed, {} passed, {} manual, {} error, {} not applicable",
        total.failed, total.passed, total.manual, total.error, footer.not_applicable
    );
    let _ = writeln!(text, "Posture score: {}", score(total));
    let id_width = footer
        .by_benchmark
        .keys()
        .map(|id| id.width())
        .max()
        .unwrap_or(0);
    for (id, tally) in footer.by_benchmark {
        let _ = writeln!(
            text,
            "  {}  {}",
            pad(&single_line(id), id_width),
            score(tally)
        );
    }
    let _ = writeln!(text, "Resources evaluated: {}", footer.resources_evaluated);
    let _ = writeln!(text, "Input errors: {}", footer.input_errors);
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
    use crate::{Format, Report};

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            findings,
            resources_evaluated: 4,
            tool_version: "0.1.0".into(),
            ..Report::default()
        }
    }

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        crate::emit(Format::Table, report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
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
