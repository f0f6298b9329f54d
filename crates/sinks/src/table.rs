//! `table`: findings grouped by resource for people at a terminal.
//!
//! Resources come most-failed first; under each, its failed, error and manual findings (passed
//! ones are only counted). A footer gives the outcome counts and the posture score overall and
//! per benchmark. No colour and no terminal-width logic, so the output is the same everywhere.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use kspm_model::{Finding, Outcome, ResourceFindings, Tally};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::describe::{
    compare_rule_numbers, detail, resource_kind, resource_namespace, resource_short_name,
    single_line,
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
    /// Rule id → the cells its rows share.
    rules: HashMap<Arc<str>, Arc<RuleCells>>,
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
            rules: HashMap::new(),
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
                let cells = match self.rules.get(&finding.rule.id) {
                    Some(cells) if cells.describes(finding) => cells.clone(),
                    _ => {
                        let cells = Arc::new(RuleCells::of(finding));
                        self.rules.insert(finding.rule.id.clone(), cells.clone());
                        cells
                    }
                };
                block.rows.push(Row::new(finding, cells));
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
        self.by_id = HashMap::new();
        self.rules = HashMap::new();
        render(
            blocks,
            &Footer {
                total: self.total,
                by_benchmark: &self.by_benchmark,
                not_applicable: summary.not_applicable,
                resources_evaluated: summary.resources_evaluated,
                input_errors: self.input_errors,
            },
            &mut self.out,
        )
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

/// One row under a resource header, already made printable, with its sort keys. What is the
/// same for every finding of a rule (number, title) is shared between rows: a big cluster has
/// a hundred thousand rows but only a few dozen rules.
struct Row {
    rank: u8,
    outcome: &'static str,
    rule: Arc<RuleCells>,
    /// Last tie-break (a resource read twice has two findings of one rule).
    finding_id: Box<str>,
    detail: Box<str>,
}

/// The cells and sort keys of one rule's rows.
struct RuleCells {
    /// Sort keys: the benchmark number as written, and the rule id.
    rule_number: Box<str>,
    rule_id: Arc<str>,
    /// The title as written.
    name: Arc<str>,
    /// Printable cells.
    number: Box<str>,
    title: Box<str>,
}

impl RuleCells {
    fn of(finding: &Finding) -> RuleCells {
        RuleCells {
            rule_number: finding.rule.benchmark.rule_number.as_str().into(),
            rule_id: finding.rule.id.clone(),
            name: finding.rule.name.clone(),
            number: single_line(&finding.rule.benchmark.rule_number).into(),
            title: truncate_columns(&single_line(&finding.rule.name), TITLE_COLUMNS).into(),
        }
    }

    fn describes(&self, finding: &Finding) -> bool {
        *self.rule_id == *finding.rule.id
            && *self.rule_number == *finding.rule.benchmark.rule_number
            && *self.name == *finding.rule.name
    }
}

impl Row {
    fn new(finding: &Finding, rule: Arc<RuleCells>) -> Row {
        Row {
            rank: outcome_rank(finding),
            outcome: match finding.outcome() {
                Outcome::Failed => "FAILED",
                Outcome::Error => "ERROR",
                Outcome::Manual => "MANUAL",
                Outcome::Passed => "PASSED",
                Outcome::NotApplicable => "N/A",
            },
            rule,
            finding_id: finding.event.id.as_str().into(),
            detail: detail(finding).into(),
        }
    }

    /// Failed first, then by rule number and id (every row of a block is of one resource, so
    /// this is [`RuleOrder`](crate::describe::RuleOrder) within the block).
    fn order(&self, other: &Row) -> std::cmp::Ordering {
        self.rank
            .cmp(&other.rank)
            .then_with(|| compare_rule_numbers(&self.rule.rule_number, &other.rule.rule_number))
            .then_with(|| self.rule.rule_id.cmp(&other.rule.rule_id))
            .then_with(|| self.finding_id.cmp(&other.finding_id))
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

/// Writes the table as it goes (a big cluster's table is tens of megabytes: never held whole).
fn render(
    mut blocks: Vec<ResourceBlock>,
    footer: &Footer<'_>,
    out: &mut impl Write,
) -> std::io::Result<()> {
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
    let rows = || blocks.iter().flat_map(|b| &b.rows);
    let number_width = rows().map(|r| r.rule.number.width()).max().unwrap_or(0);
    let title_width = rows().map(|r| r.rule.title.width()).max().unwrap_or(0);

    if blocks.is_empty() {
        out.write_all(b"No findings.\n")?;
    }
    let mut line = String::new();
    for (i, block) in blocks.into_iter().enumerate() {
        line.clear();
        if i > 0 {
            line.push('\n');
        }
        line.push_str(&block.header());
        line.push('\n');
        out.write_all(line.as_bytes())?;
        for row in &block.rows {
            line.clear();
            let _ = write!(
                line,
                "  {:<6}  {}  {}  {}",
                row.outcome,
                pad(&row.rule.number, number_width),
                pad(&row.rule.title, title_width),
                row.detail
            );
            out.write_all(line.trim_end().as_bytes())?;
            out.write_all(b"\n")?;
        }
        // Each block is freed once written.
    }
    let mut text = String::from("\n");
    write_footer(footer, &mut text);
    out.write_all(text.as_bytes())
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
    fn rows_share_a_rules_cells_only_while_its_number_and_title_are_the_same() {
        // One rule id numbered differently (as two bundles could): each row keeps its own
        // number and title, in number order.
        let early = rule("same", "cis_k8s", "5.1.2", "Early title", "RBAC");
        let late = rule("same", "cis_k8s", "5.1.10", "Late title", "RBAC");
        let pod = Target::object("Pod", Some("ns"), "a");
        let text = render(&report(vec![
            finding(&late, &pod, Outcome::Failed, json!(null)),
            finding(&early, &pod, Outcome::Failed, json!(null)),
            finding(&late, &pod, Outcome::Manual, json!(null)),
        ]));
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  FAILED") || l.starts_with("  MANUAL"))
            .collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(
            rows[0].contains("5.1.2 ") && rows[0].contains("Early title"),
            "{text}"
        );
        assert!(
            rows[1].contains("5.1.10") && rows[1].contains("Late title"),
            "{text}"
        );
        assert!(rows[2].starts_with("  MANUAL  5.1.10"), "{text}");
    }

    #[test]
    fn long_titles_are_cut_to_the_title_column() {
        assert_eq!(truncate_columns("abcdef", 4), "abc…");
        assert_eq!(truncate_columns("日本語", 4), "日…");
        assert_eq!(truncate_columns("abc", 4), "abc");
    }
}
