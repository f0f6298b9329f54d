//! `junit`: JUnit XML so that CI systems show a scan like a test run.
//!
//! One test suite per benchmark section, one test case per finding: passed is a success,
//! failed a failure (with the evidence and the remediation), error an error, manual skipped
//! (with the guidance). Inputs that could not be read become errors in a last suite, so a CI
//! run never looks green because a file was skipped.

use std::collections::BTreeMap;
use std::io::Write;

use kspm_model::{Finding, Outcome};
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use crate::describe::{compare_by_rule, detail, evidence_summary, single_line};
use crate::{Emitter, Report, Result};

/// Name of the suite holding input errors.
const INPUT_SUITE: &str = "kspm input";

/// Writes a JUnit XML report.
#[derive(Debug, Clone, Copy, Default)]
pub struct JunitEmitter;

impl Emitter for JunitEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        // Serialising to memory first keeps write failures as plain IO errors.
        let xml = junit_report(report).to_string()?;
        out.write_all(xml.as_bytes())?;
        Ok(())
    }
}

fn junit_report(report: &Report) -> quick_junit::Report {
    let mut by_section: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in report
        .findings
        .iter()
        .filter(|f| f.outcome() != Outcome::NotApplicable)
    {
        by_section
            .entry(&*finding.rule.section)
            .or_default()
            .push(finding);
    }

    let mut junit = quick_junit::Report::new("kspm");
    for (section, mut findings) in by_section {
        findings.sort_by(|a, b| compare_by_rule(a, b));
        let name = if section.is_empty() {
            "(no section)"
        } else {
            section
        };
        let mut suite = TestSuite::new(name);
        suite.add_test_cases(findings.into_iter().map(test_case));
        junit.add_test_suite(suite);
    }
    if !report.input_errors.is_empty() {
        let mut suite = TestSuite::new(INPUT_SUITE);
        suite.add_test_cases(report.input_errors.iter().enumerate().map(|(i, message)| {
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
    use crate::fixtures::scored;

    #[test]
    fn one_suite_per_section_and_input_errors_in_their_own_suite() {
        let report = Report {
            findings: scored("cis_k8s", 2, 1),
            input_errors: vec!["bad.yaml: not YAML".into()],
            ..Report::default()
        };
        let junit = junit_report(&report);
        let suites: Vec<(&str, usize, usize, usize)> = junit
            .test_suites
            .iter()
            .map(|s| (s.name.as_str(), s.tests, s.failures, s.errors))
            .collect();
        assert_eq!(suites, vec![("Fixtures", 3, 1, 0), (INPUT_SUITE, 1, 0, 1)]);
    }
}
