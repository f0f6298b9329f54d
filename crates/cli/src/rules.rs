//! `kspm rules list|show|test`.

use std::io::Write as _;

use anyhow::Context as _;

use crate::args::RulesCommand;
use crate::exit::Exit;

/// Runs `kspm rules list|show|test`.
pub fn run(cmd: RulesCommand) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    match cmd {
        RulesCommand::List { benchmark, rules } => {
            let mut bundle = crate::bundle::load(&rules)?;
            let selected = bundle.select_benchmarks(&benchmark, "unknown")?;
            bundle.retain_benchmarks(&selected);
            let mut rows: Vec<_> = bundle
                .rules
                .iter()
                .map(|r| {
                    let b = selected
                        .iter()
                        .find_map(|id| r.meta.benchmark(id))
                        .or_else(|| r.meta.benchmarks.first())
                        .expect("validated");
                    (b.id.clone(), b.number.clone(), r)
                })
                .collect();
            rows.sort_by(|a, b| (&a.0, number_key(&a.1)).cmp(&(&b.0, number_key(&b.1))));
            writeln!(
                out,
                "{:<8} {:<28} {:<36} {:<10} TITLE",
                "BENCH", "NUMBER", "ID", "CHECK"
            )?;
            for (bench, number, rule) in &rows {
                let check = match (&rule.rego, rule.meta.assessment) {
                    (None, _) => "manual",
                    (Some(_), kspm_model::Assessment::Automated) => "automated",
                    (Some(_), kspm_model::Assessment::Manual) => "computed",
                };
                writeln!(
                    out,
                    "{bench:<8} {number:<28} {:<36} {check:<10} {}",
                    rule.meta.id, rule.meta.title
                )?;
            }
            writeln!(out, "{} rules", rows.len())?;
            Ok(Exit::Clean)
        }
        RulesCommand::Show { id, rules } => {
            let bundle = crate::bundle::load(&rules)?;
            let Some(rule) = bundle.find(&id) else {
                eprintln!("error: no rule with id or number `{id}` (see `kspm rules list`)");
                return Ok(Exit::Input);
            };
            let m = &rule.meta;
            writeln!(out, "{} — {}", m.id, m.title)?;
            for b in &m.benchmarks {
                writeln!(
                    out,
                    "  {} {} (versions {})",
                    b.id,
                    b.number,
                    b.versions.join(", ")
                )?;
            }
            writeln!(
                out,
                "  section: {}\n  profile: {}\n  assessment: {:?}",
                m.section, m.profile, m.assessment
            )?;
            writeln!(
                out,
                "  applies to: {} {}",
                m.applies_to.kind.as_str(),
                m.applies_to.sub_types.join(", ")
            )?;
            for (title, text) in [
                ("Description", &m.description),
                ("Rationale", &m.rationale),
                ("Impact", &m.impact),
                ("Default value", &m.default_value),
                ("Remediation", &m.remediation),
            ] {
                if !text.is_empty() {
                    writeln!(out, "\n{title}:\n{}", indent(text))?;
                }
            }
            if !m.references.is_empty() {
                writeln!(out, "\nReferences:")?;
                for r in &m.references {
                    writeln!(out, "  {r}")?;
                }
            }
            match &rule.rego {
                Some(rego) => {
                    writeln!(out, "\nRego ({}/rule.rego):\n{}", rule.source, indent(rego))?
                }
                None => writeln!(
                    out,
                    "\nNo Rego: this rule always yields a manual finding with the remediation as guidance."
                )?,
            }
            Ok(Exit::Clean)
        }
        RulesCommand::Test { dir, all_cases } => {
            let bundle = match &dir {
                None => kspm_engine::RuleBundle::embedded()?,
                Some(d) => {
                    // User rules may use the shared library of the embedded bundle.
                    let mut b = kspm_engine::RuleBundle::from_dir(d)
                        .with_context(|| format!("loading {}", d.display()))?;
                    let embedded = kspm_engine::RuleBundle::embedded()?;
                    let own: std::collections::HashSet<_> = b
                        .libs
                        .iter()
                        .map(|(p, _)| p.rsplit('/').next().unwrap_or("").to_owned())
                        .collect();
                    b.libs.extend(
                        embedded
                            .libs
                            .into_iter()
                            .filter(|(p, _)| !own.contains(p.rsplit('/').next().unwrap_or(""))),
                    );
                    // ... and its benchmarks, unless the directory defines its own.
                    for def in embedded.benchmarks {
                        if b.benchmark(&def.id).is_none() {
                            b.benchmarks.push(def);
                        }
                    }
                    b
                }
            };
            let report = kspm_engine::harness::run(&bundle)?;
            for case in &report.cases {
                match &case.problem {
                    Some(p) => writeln!(out, "FAIL {} :: {}: {p}", case.rule, case.name)?,
                    None if all_cases => {
                        writeln!(out, "ok   {} :: {} ({})", case.rule, case.name, case.actual)?
                    }
                    None => {}
                }
            }
            for p in &report.problems {
                writeln!(out, "FAIL {p}")?;
            }
            for w in &report.warnings {
                writeln!(out, "warn {w}")?;
            }
            let failed = report.failures();
            let passed = report.cases.iter().filter(|c| c.problem.is_none()).count();
            writeln!(
                out,
                "{} rules, {passed} passed, {failed} failed",
                bundle.rules.len()
            )?;
            Ok(if failed == 0 {
                Exit::Clean
            } else {
                Exit::Failed
            })
        }
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sorts `5.1.10` after `5.1.9`.
fn number_key(number: &str) -> Vec<(u64, String)> {
    number
        .split('.')
        .map(|p| (p.parse().unwrap_or(u64::MAX), p.to_owned()))
        .collect()
}
