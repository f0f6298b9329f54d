//! The rule-case harness behind `kspm rules test` and `cargo test`: every rule's
//! `cases.yaml` is evaluated through the real engine (routing, inventory, VM) and compared
//! with the expected outcome and evidence.

use kspm_model::{ClusterInfo, Context, Outcome, Resource, ResourceType, Scope, resource_id};
use serde_json::Value;

use crate::context::ScanContext;
use crate::evaluator::Evaluator;
use crate::findings::fill_placeholders;
use crate::{Result, RuleBundle};

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Rule id.
    pub rule: String,
    /// Case name.
    pub name: String,
    /// Expected outcome.
    pub expected: String,
    /// Actual outcome.
    pub actual: String,
    /// Why the case failed, if it did.
    pub problem: Option<String>,
}

/// Everything the harness found.
#[derive(Debug, Default)]
pub struct HarnessReport {
    /// One entry per case.
    pub cases: Vec<CaseResult>,
    /// Rules without cases, or with outcomes never exercised (warnings).
    pub warnings: Vec<String>,
    /// Rules without any cases file, or with malformed cases (failures).
    pub problems: Vec<String>,
}

impl HarnessReport {
    /// Number of failed cases plus rule-level problems.
    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.problem.is_some()).count() + self.problems.len()
    }
}

/// The cluster every case runs in.
pub fn test_cluster() -> ClusterInfo {
    ClusterInfo {
        id: "test-cluster".into(),
        name: "test".into(),
        version: None,
        platform: None,
    }
}

/// Runs every case of every rule in the bundle.
pub fn run(bundle: &RuleBundle) -> Result<HarnessReport> {
    let evaluator = Evaluator::new(bundle.clone())?;
    // Every case also runs on the interpreter: the VM must agree with it (the VM reports some
    // rule errors, such as conflicting definitions, as not applicable).
    let reference = Evaluator::interpreter_only(bundle.clone())?;
    // 2026-01-01T00:00:00Z.
    let ctx = ScanContext::new(test_cluster(), 1_767_225_600);
    let mut report = HarnessReport::default();
    for (id, message) in evaluator.broken_rules() {
        report
            .problems
            .push(format!("{id}: does not compile: {message}"));
    }
    for rule in &bundle.rules {
        let id = &rule.meta.id;
        let parsed = match rule.cases() {
            Ok(parsed) => parsed,
            Err(e) => {
                report.problems.push(format!("{id}: {e}"));
                continue;
            }
        };
        let Some(cases) = parsed
            .as_ref()
            .and_then(|c| c.get("cases"))
            .and_then(Value::as_array)
        else {
            report
                .problems
                .push(format!("{id}: no cases.yaml with a `cases:` list"));
            continue;
        };
        // Remediation is read by people who should not have to guess a value: `<name>` style
        // placeholders are filled from the evidence (`{{evidence.…}}`) or written out.
        let placeholders: Vec<String> = rule
            .meta
            .remediations()
            .flat_map(angle_placeholders)
            .collect();
        if !placeholders.is_empty() {
            report.problems.push(format!(
                "{id}: remediation has placeholders nobody fills: {}",
                placeholders.join(" ")
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (index, case) in cases.iter().enumerate() {
            let name = case
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("case {index}"), str::to_owned);
            let expected = case
                .get("expect")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let mut result = CaseResult {
                rule: id.clone(),
                name,
                expected: expected.clone(),
                actual: String::new(),
                problem: None,
            };
            let on_vm = run_case(&evaluator, &ctx, id, case);
            let on_interpreter = run_case(&reference, &ctx, id, case);
            let on_vm = match (on_vm, on_interpreter) {
                (Ok(vm), Ok(interp)) if vm != interp => Err(CaseError(format!(
                    "the VM and the interpreter disagree: VM {} {}, interpreter {} {}",
                    vm.0.as_str(),
                    vm.1.map(|f| f.to_string()).unwrap_or_default(),
                    interp.0.as_str(),
                    interp.1.map(|f| f.to_string()).unwrap_or_default()
                ))),
                (vm, _) => vm,
            };
            match on_vm {
                Err(problem) => result.problem = Some(problem.0),
                Ok((actual, finding)) => {
                    result.actual = actual.as_str().to_owned();
                    seen.insert(actual);
                    if Outcome::parse(&expected).is_none() {
                        result.problem = Some(format!("`expect: {expected}` is not an outcome"));
                    } else if actual.as_str() != expected {
                        let detail = finding
                            .as_ref()
                            .map(|f| format!(": {f}"))
                            .unwrap_or_default();
                        result.problem = Some(format!(
                            "expected {expected}, got {}{detail}",
                            actual.as_str()
                        ));
                    } else if let (Some(want), Some(f)) = (case.get("evidence"), finding.as_ref())
                        && !is_subset(want, &f["evidence"])
                    {
                        result.problem = Some(format!(
                            "evidence {} does not contain {want}",
                            f["evidence"]
                        ));
                    }
                    // Remediation is shown for failed and manual findings; there it must be runnable.
                    if let Some(f) = finding.as_ref()
                        && result.problem.is_none()
                        && matches!(actual, Outcome::Failed | Outcome::Manual)
                        && let Some(missing) = f.get("unresolved").and_then(Value::as_array)
                        && !missing.is_empty()
                    {
                        result.problem = Some(format!(
                            "remediation placeholders did not resolve: {missing:?}"
                        ));
                    }
                }
            }
            report.cases.push(result);
        }
        // Every rule with Rego shows that it can pass, fail and not apply, or says in its meta
        // (`outcomes_not_possible`) why one of those cannot happen; a reason for an outcome a
        // case produces is stale. Manual-only rules (no Rego) are manual by construction.
        if rule.rego.is_none() {
            if !seen.contains(&Outcome::Manual) {
                report
                    .warnings
                    .push(format!("{id}: no case with outcome manual"));
            }
        } else {
            let excused = &rule.meta.outcomes_not_possible;
            let missing: Vec<&str> = [Outcome::Passed, Outcome::Failed, Outcome::NotApplicable]
                .into_iter()
                .filter(|o| !seen.contains(o) && !excused.contains_key(o))
                .map(Outcome::as_str)
                .collect();
            if !missing.is_empty() {
                report.problems.push(format!(
                    "{id}: no case with outcome {}, and no reason under outcomes_not_possible \
                     in meta.yaml why it cannot happen",
                    missing.join(", ")
                ));
            }
            for outcome in excused.keys().filter(|o| seen.contains(o)) {
                report.problems.push(format!(
                    "{id}: outcomes_not_possible lists {}, but a case produces it",
                    outcome.as_str()
                ));
            }
        }
    }
    Ok(report)
}

/// Evaluates one case; returns the outcome and, when there is a finding, a small JSON with its
/// evidence and unresolved placeholders.
fn run_case(
    evaluator: &Evaluator,
    ctx: &ScanContext,
    rule_id: &str,
    case: &Value,
) -> Result<(Outcome, Option<Value>), CaseError> {
    let cluster = test_cluster();
    let main = if let Some(object) = case.get("object") {
        Resource::k8s_object(object.clone(), cluster.clone())
    } else if let Some(input) = case.get("input") {
        resource_from_input(input, &cluster)?
    } else {
        return Err(CaseError("a case needs `object:` or `input:`".into()));
    };
    let mut resources = vec![main.clone()];
    for other in case
        .get("objects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        resources.push(Resource::k8s_object(other.clone(), cluster.clone()));
    }
    // Other non-Kubernetes resources of the same scan (the node's other processes, say).
    for other in case
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        resources.push(resource_from_input(other, &cluster)?);
    }
    let evaluation = evaluator.evaluate(resources, ctx);
    let Some(finding) = evaluation
        .findings
        .iter()
        .find(|f| f.resource.id == main.id && &*f.rule.id == rule_id)
    else {
        return Ok((Outcome::NotApplicable, None));
    };
    let evidence = finding.result.evidence.to_value();
    let meta = evaluator
        .rules()
        .iter()
        .find(|r| r.meta.id == rule_id)
        .map(|r| &r.meta);
    let unresolved = meta
        .map(|m| {
            m.remediations()
                .flat_map(|text| fill_placeholders(text, &main, &evidence).1)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut summary = serde_json::json!({"evidence": evidence, "unresolved": unresolved});
    if let Some(e) = &finding.error {
        summary["error"] = Value::String(e.message.clone());
    }
    Ok((finding.result.evaluation, Some(summary)))
}

fn resource_from_input(input: &Value, cluster: &ClusterInfo) -> Result<Resource, CaseError> {
    let kind: ResourceType =
        serde_json::from_value(input.get("type").cloned().unwrap_or(Value::Null))
            .map_err(|e| CaseError(format!("input.type: {e}")))?;
    let sub_type = input
        .get("sub_type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let facts = input.get("resource").cloned().unwrap_or(Value::Null);
    let name = input
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            facts
                .get("path")
                .and_then(Value::as_str)
                .map_or_else(|| sub_type.clone(), str::to_owned)
        });
    let mut context: Context = match input.get("context") {
        Some(c) => serde_json::from_value(c.clone())
            .map_err(|e| CaseError(format!("input.context: {e}")))?,
        None => Context::default(),
    };
    if context.cluster.id.is_empty() {
        context.cluster = cluster.clone();
    }
    let scope = match (&context.node, kind) {
        (Some(node), ResourceType::File | ResourceType::Process) => Scope::Node(node.name.clone()),
        _ => Scope::Cluster,
    };
    Ok(Resource {
        scope,
        kind,
        id: resource_id(&context.cluster.id, kind, &format!("{sub_type}/{name}")),
        sub_type,
        name,
        resource: std::sync::Arc::new(facts),
        context,
        origin: None,
        raw: None,
    })
}

/// `<word …>` placeholders in a text: `<` and `>` on one line around text that starts with a
/// letter (shell redirections and comparisons do not look like that).
pub fn angle_placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            match after.find(['<', '>']) {
                Some(end) if after.as_bytes()[end] == b'>' => {
                    let inner = &after[..end];
                    if inner.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        found.push(format!("<{inner}>"));
                    }
                    rest = &after[end + 1..];
                }
                Some(end) => rest = &after[end..],
                None => break,
            }
        }
    }
    found
}

/// Why a case could not be run or its runs disagree; becomes the case's problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
struct CaseError(String);

/// True when every key and list element of `want` appears in `have`.
pub fn is_subset(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| is_subset(v, hv))),
        // An empty list pins emptiness; otherwise every wanted element must be present.
        (Value::Array(w), Value::Array(h)) if w.is_empty() => h.is_empty(),
        (Value::Array(w), Value::Array(h)) => {
            w.iter().all(|wv| h.iter().any(|hv| is_subset(wv, hv)))
        }
        _ => want == have,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn angle_placeholders_are_found_and_shell_syntax_is_not() {
        assert_eq!(
            angle_placeholders("kubectl delete rolebinding <name> -n <namespace>"),
            ["<name>", "<namespace>"]
        );
        assert!(angle_placeholders("grep x 2>/dev/null | sort <<EOF").is_empty());
        assert!(angle_placeholders("a < b and c > d").is_empty());
    }

    #[test]
    fn subset_matching_handles_nested_objects_and_lists() {
        let have = json!({"subjects": ["User/a", "Group/b"], "n": 2, "x": {"y": [1, 2]}});
        assert!(is_subset(&json!({"subjects": ["Group/b"]}), &have));
        assert!(is_subset(&json!({"x": {"y": [2]}}), &have));
        assert!(!is_subset(&json!({"subjects": ["User/c"]}), &have));
        assert!(!is_subset(&json!({"n": 3}), &have));
        assert!(
            !is_subset(&json!({"subjects": []}), &have),
            "an empty list means none"
        );
        assert!(is_subset(&json!({"none": []}), &json!({"none": []})));
    }
}
