//! `junit`: JUnit XML so that CI systems show a scan like a test run.
//!
//! One test suite per benchmark section, one test case per finding: passed is a success,
//! failed a failure (with the evidence and the remediation), error an error, manual skipped
//! (with the guidance). Inputs that could not be read become errors in a last suite, so a CI
//! run never looks green because a file was skipped.

use std::collections::BTreeMap;
use std::io::Write;

use kspm_model::{Finding, Outcome, ResourceFindings};
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use crate::describe::{RuleOrder, detail, evidence_summary, single_line};
use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// Name of the suite holding input errors.
const INPUT_SUITE: &str = "kspm input";

/// Writes a JUnit XML report once the run is over. Keeps one compact test case per finding
/// (its name, class, status and message), never the findings themselves.
pub struct JunitSink<W: Write> {
    out: W,
    /// Section → (sort key, test case).
    sections: BTreeMap<String, Vec<(RuleOrder, TestCase)>>,
    input_errors: Vec<String>,
    delivered: Delivery,
}

impl<W: Write> JunitSink<W> {
    /// JUnit XML on `out`.
    pub fn new(out: W) -> JunitSink<W> {
        JunitSink {
            out,
            sections: BTreeMap::new(),
            input_errors: Vec::new(),
            delivered: Delivery::default(),
        }
    }
}

impl<W: Write> Sink for JunitSink<W> {
    fn name(&self) -> String {
        "JUnit output".into()
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.input_errors = run.input_errors.to_vec();
        Ok(())
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        for finding in batch
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.outcome() != Outcome::NotApplicable)
        {
            self.sections
                .entry(finding.rule.section.to_string())
                .or_default()
                .push((RuleOrder::of(finding), test_case(finding)));
            self.delivered.findings += 1;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        let sections = std::mem::take(&mut self.sections);
        let report = junit_report(sections, &self.input_errors);
        // Serialising to memory first keeps write failures as plain IO errors.
        let xml = report
            .to_string()
            .map_err(|e| crate::file_error(self, e.into(), &self.delivered))?;
        self.out
            .write_all(xml.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| crate::file_error(self, e.into(), &self.delivered))?;
        Ok(self.delivered.clone())
    }
}

fn junit_report(
    sections: BTreeMap<String, Vec<(RuleOrder, TestCase)>>,
    input_errors: &[String],
) -> quick_junit::Report {
    let mut junit = quick_junit::Report::new("kspm");
    for (section, mut cases) in sections {
        cases.sort_by(|a, b| a.0.cmp(&b.0));
        let name = if section.is_empty() {
            "(no section)"
        } else {
            section.as_str()
        };
        let mut suite = TestSuite::new(name);
        suite.add_test_cases(cases.into_iter().map(|(_, case)| case));
        junit.add_test_suite(suite);
    }
    if !input_errors.is_empty() {
        let mut suite = TestSuite::new(INPUT_SUITE);
        suite.add_test_cases(input_errors.iter().enumerate().map(|(i, message)| {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(single_line(message))
                .set_description(message.as_str());
            let mut case = TestCase::new(format!("input error {}", i + 1), status);
            case.set_classname("kspm.input");
            case
        }));
        junit.add_test_suite(suite);
    }
    junit
}

fn test_case(finding: &Finding) -> TestCase {
    let rule = &finding.rule;
    let status = match finding.outcome() {
        Outcome::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(evidence_summary(finding))
                .set_description(rule.remediation.text());
            status
        }
        Outcome::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(detail(finding));
            if let Some(error) = &finding.error {
                status.set_description(error.message.as_str());
            }
            status
        }
        Outcome::Manual => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message("manual review required")
                .set_description(rule.remediation.text());
            status
        }
        Outcome::Passed | Outcome::NotApplicable => TestCaseStatus::success(),
    };
    let number = &rule.benchmark.rule_number;
    let title = if number.is_empty() {
        rule.name.to_string()
    } else {
        format!("{number} {}", rule.name)
    };
    let mut case = TestCase::new(format!("{title} — {}", finding.resource.name), status);
    case.set_classname(&*rule.id);
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Report;
    use crate::fixtures::scored;

    #[test]
    fn one_suite_per_section_and_input_errors_in_their_own_suite() {
        let report = Report {
            findings: scored("cis_k8s", 2, 1),
            input_errors: vec!["bad.yaml: not YAML".into()],
            ..Report::default()
        };
        let mut out = Vec::new();
        crate::emit(crate::Format::Junit, &report, &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        let suites: Vec<&str> = xml
            .lines()
            .filter(|l| l.trim_start().starts_with("<testsuite "))
            .collect();
        assert_eq!(suites.len(), 2, "{xml}");
        assert!(
            suites[0].contains(
                "name=\"Fixtures\" tests=\"3\" skipped=\"0\" errors=\"0\" failures=\"1\""
            ),
            "{xml}"
        );
        assert!(
            suites[1].contains(&format!(
                "name=\"{INPUT_SUITE}\" tests=\"1\" skipped=\"0\" errors=\"1\" failures=\"0\""
            )),
            "{xml}"
        );
    }
}
