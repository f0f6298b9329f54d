//! The rule bundle: rules (metadata, Rego, cases) and shared library modules, read from the
//! embedded copy of `rules/` or from a user directory with the same layout.

use std::collections::BTreeMap;
use std::path::Path;

use kspm_model::{BenchmarkDef, RuleMeta};
use serde_json::Value;

use crate::{Error, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundle_files.rs"));
}

/// One rule of the bundle.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Metadata from `meta.yaml`.
    pub meta: RuleMeta,
    /// `rule.rego`, absent for manual-only rules.
    pub rego: Option<String>,
    /// `cases.yaml` as written, when present; parsed only by the case harness
    /// ([`Rule::cases`]), so that a scan does not pay for a thousand test inputs.
    pub cases_text: Option<String>,
    /// Where the rule came from (`embedded:cis_k8s/x` or a directory path).
    pub source: String,
}

impl Rule {
    /// `cases.yaml`, parsed; `Ok(None)` when the rule has none.
    pub fn cases(&self) -> Result<Option<Value>> {
        self.cases_text
            .as_deref()
            .map(|text| parse_yaml(&format!("{}/cases.yaml", self.source), text))
            .transpose()
    }

    /// The Rego path of the rule's finding.
    pub fn finding_path(&self) -> String {
        format!("data.kspm.rules.{}.finding", self.meta.id)
    }
}

/// Rules plus library modules and the benchmarks they belong to.
#[derive(Debug, Clone, Default)]
pub struct RuleBundle {
    /// Rules, sorted by id.
    pub rules: Vec<Rule>,
    /// Library modules: (path, source).
    pub libs: Vec<(String, String)>,
    /// Benchmarks (`<benchmark>/benchmark.yaml`), sorted by id.
    pub benchmarks: Vec<BenchmarkDef>,
}

impl RuleBundle {
    /// The bundle compiled into the binary.
    pub fn embedded() -> Result<RuleBundle> {
        let files = embedded::FILES
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()));
        RuleBundle::from_files("embedded:", files)
    }

    /// Reads a directory with the bundle layout (`<benchmark>/<rule>/meta.yaml`, `lib/*.rego`).
    /// A single rule directory (with `meta.yaml` directly inside) is accepted too.
    pub fn from_dir(dir: &Path) -> Result<RuleBundle> {
        let mut files = Vec::new();
        read_tree(dir, dir, &mut files)?;
        if files.is_empty() {
            return Err(Error::Bundle(format!(
                "{}: no rule files found",
                dir.display()
            )));
        }
        // A rule directory given on its own: pretend it sits in a bundle.
        let single = files.iter().any(|(p, _)| p == "meta.yaml");
        if single {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "rule".into());
            files = files
                .into_iter()
                .map(|(p, c)| (format!("user/{name}/{p}"), c))
                .collect();
        }
        RuleBundle::from_files(&format!("{}/", dir.display()), files.into_iter())
    }

    fn from_files(
        prefix: &str,
        files: impl Iterator<Item = (String, String)>,
    ) -> Result<RuleBundle> {
        let mut dirs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut libs = Vec::new();
        for (path, content) in files {
            if path.starts_with("lib/") && path.ends_with(".rego") {
                libs.push((format!("{prefix}{path}"), content));
            } else if let Some((dir, file)) = path.rsplit_once('/') {
                dirs.entry(dir.to_owned())
                    .or_default()
                    .insert(file.to_owned(), content);
            }
        }
        let mut rules = Vec::new();
        let mut benchmarks = Vec::new();
        for (dir, files) in dirs {
            if let Some(text) = files.get("benchmark.yaml") {
                let source = format!("{prefix}{dir}/benchmark.yaml");
                let value = parse_yaml(&source, text)?;
                let def: BenchmarkDef = serde_json::from_value(value)
                    .map_err(|e| Error::Bundle(format!("{source}: {e}")))?;
                def.validate()
                    .map_err(|e| Error::Bundle(format!("{source}: {e}")))?;
                benchmarks.push(def);
            }
            let Some(meta_text) = files.get("meta.yaml") else {
                continue;
            };
            let source = format!("{prefix}{dir}");
            let meta_value = parse_yaml(&format!("{source}/meta.yaml"), meta_text)?;
            let meta: RuleMeta = serde_json::from_value(meta_value)
                .map_err(|e| Error::Bundle(format!("{source}/meta.yaml: {e}")))?;
            meta.validate()
                .map_err(|e| Error::Bundle(format!("{source}: {e}")))?;
            let dir_name = dir.rsplit('/').next().unwrap_or(&dir);
            if meta.id != dir_name {
                return Err(Error::Bundle(format!(
                    "{source}: id `{}` differs from the directory name",
                    meta.id
                )));
            }
            rules.push(Rule {
                meta,
                rego: files.get("rule.rego").cloned(),
                cases_text: files.get("cases.yaml").cloned(),
                source,
            });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = benchmarks.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Error::Bundle(format!(
                "{prefix}: benchmark `{}` is defined twice",
                pair[0].id
            )));
        }
        Ok(RuleBundle {
            rules,
            libs,
            benchmarks,
        })
    }

    /// Adds user rules; a user rule with the id of a bundled rule replaces it, and so does a
    /// user benchmark definition.
    pub fn merge(&mut self, other: RuleBundle) {
        for rule in other.rules {
            self.rules.retain(|r| r.meta.id != rule.meta.id);
            self.rules.push(rule);
        }
        self.rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        self.libs.extend(other.libs);
        for def in other.benchmarks {
            self.benchmarks.retain(|b| b.id != def.id);
            self.benchmarks.push(def);
        }
        self.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// The definition of a benchmark id.
    pub fn benchmark(&self, id: &str) -> Option<&BenchmarkDef> {
        self.benchmarks.iter().find(|b| b.id == id)
    }

    /// Checks that the benchmarks asked for exist and returns them in the order given, without
    /// duplicates; empty means every benchmark. `all` stands for every one; `auto` for the ones
    /// whose `platforms` list takes in `platform` (`unknown` when nothing said what the cluster
    /// runs on): CIS Kubernetes on self-managed clusters, CIS EKS on EKS, PSS everywhere.
    pub fn select_benchmarks(&self, asked: &[String], platform: &str) -> Result<Vec<String>> {
        let mut selected: Vec<String> = Vec::new();
        for id in asked {
            let id = id.trim();
            if id == "all" {
                return Ok(Vec::new());
            }
            let ids: Vec<&str> = if id == "auto" {
                self.benchmarks
                    .iter()
                    .filter(|b| b.default_on(platform))
                    .map(|b| b.id.as_str())
                    .collect()
            } else if self.benchmark(id).is_none() {
                let known: Vec<&str> = self.benchmarks.iter().map(|b| b.id.as_str()).collect();
                return Err(Error::UnknownBenchmark {
                    id: id.to_owned(),
                    known: known.join(", "),
                });
            } else {
                vec![id]
            };
            for id in ids {
                if !selected.iter().any(|s| s == id) {
                    selected.push(id.to_owned());
                }
            }
        }
        Ok(selected)
    }

    /// Keeps only the rules of the given benchmarks (empty keeps everything).
    pub fn retain_benchmarks(&mut self, benchmarks: &[String]) {
        if !benchmarks.is_empty() {
            self.rules.retain(|r| {
                benchmarks
                    .iter()
                    .any(|b| r.meta.benchmark(b.as_str()).is_some())
            });
        }
    }

    /// Checks what only the whole bundle can tell: every benchmark a rule names is defined,
    /// with the versions the rule names, and the rule's number falls in one of its sections
    /// (the one its `section` names).
    pub fn validate(&self) -> Result<()> {
        for rule in &self.rules {
            for (i, r) in rule.meta.benchmarks.iter().enumerate() {
                let def = self.benchmark(&r.id).ok_or_else(|| {
                    Error::Bundle(format!(
                        "{}: benchmark `{}` is not defined: add `{}/benchmark.yaml` (id, name, \
                         versions, sections) next to the rule directories; see rules/README.md",
                        rule.source, r.id, r.id
                    ))
                })?;
                if let Some(v) = r.versions.iter().find(|v| !def.versions.contains(v)) {
                    return Err(Error::Bundle(format!(
                        "{}: version `{v}` is not a version of `{}` ({})",
                        rule.source,
                        r.id,
                        def.versions.join(", ")
                    )));
                }
                let section = def
                    .section_of(&r.number, Some(&rule.meta.section))
                    .ok_or_else(|| {
                        Error::Bundle(format!(
                            "{}: number `{}` is in no section of `{}`",
                            rule.source, r.number, r.id
                        ))
                    })?;
                if i == 0 && section.name != rule.meta.section {
                    return Err(Error::Bundle(format!(
                        "{}: section `{}` differs from `{}`, the section of {} in {}/benchmark.yaml",
                        rule.source, rule.meta.section, section.name, r.number, r.id
                    )));
                }
            }
        }
        Ok(())
    }

    /// Keeps only the rules that some of `resources` would be routed to (counting the
    /// synthetic Cluster resource the evaluator adds when Kubernetes objects are present or
    /// missing), and those routed to data a gap says could not be read (they report the gap),
    /// so that a scan compiles only what it can use: a node scan does not compile the RBAC
    /// rules.
    pub fn retain_routed(&mut self, resources: &[kspm_model::Resource], gaps: &[kspm_model::Gap]) {
        use kspm_model::ResourceType;
        let mut present: std::collections::HashSet<(ResourceType, &str)> = resources
            .iter()
            .map(|r| (r.kind, r.sub_type.as_str()))
            .collect();
        let k8s_gap = gaps.iter().any(|g| g.kind == ResourceType::K8sObject);
        if k8s_gap || present.iter().any(|(k, _)| *k == ResourceType::K8sObject) {
            present.insert((ResourceType::K8sObject, "Cluster"));
        }
        self.rules.retain(|r| {
            let a = &r.meta.applies_to;
            present
                .iter()
                .any(|(kind, sub_type)| a.matches(*kind, sub_type))
                || gaps.iter().any(|g| {
                    g.kind == a.kind && (g.sub_type == "*" || a.matches(g.kind, &g.sub_type))
                })
        });
    }

    /// The kinds of Kubernetes objects the rules need from a cluster: those they are evaluated
    /// on and those they read from the inventory (`*` when a rule reads every kind), Pods when
    /// process rules are loaded (the control plane's mirror pods), and Namespaces (the cluster's
    /// identity). The synthetic `Cluster` is not a kind to list.
    pub fn needed_kinds(&self) -> std::collections::BTreeSet<String> {
        use kspm_model::ResourceType;
        let mut kinds = std::collections::BTreeSet::from(["Namespace".to_owned()]);
        for rule in &self.rules {
            let applies = &rule.meta.applies_to;
            match applies.kind {
                ResourceType::K8sObject if applies.sub_types.is_empty() => {
                    kinds.insert("*".into());
                }
                ResourceType::K8sObject => kinds.extend(applies.sub_types.iter().cloned()),
                ResourceType::Process => {
                    kinds.insert("Pod".into());
                }
                _ => {}
            }
            for (kind, sub) in rule.meta.read_kinds() {
                if kind == ResourceType::K8sObject {
                    kinds.insert(sub.to_owned());
                }
            }
        }
        kinds.remove("Cluster");
        kinds
    }

    /// Finds a rule by id, or by benchmark number (`5.1.1`).
    pub fn find(&self, key: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.meta.id == key).or_else(|| {
            self.rules
                .iter()
                .find(|r| r.meta.benchmarks.iter().any(|b| b.number == key))
        })
    }
}

/// One YAML document of the bundle; errors name `source` and the line.
fn parse_yaml(source: &str, text: &str) -> Result<Value> {
    let doc = kspm_yaml::parse_document(text)
        .map_err(|e| Error::Bundle(format!("{source}: line {}: {}", e.line, e.message)))?;
    Ok(doc.value.unwrap_or(Value::Null))
}

fn read_tree(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io(dir.display().to_string(), e))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rego" | "yaml")
        ) {
            let content = std::fs::read_to_string(&path)
                .map_err(|e| Error::Io(path.display().to_string(), e))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, content));
        }
    }
    Ok(())
}
