//! Compiling the bundle once and evaluating resources against it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use kspm_model::{
    BenchmarkDef, ClusterInfo, Context, Finding, Gap, Outcome, RawJson, Resource, ResourceFindings,
    ResourceType, Scope, k8s_identity, resource_id,
};
use rayon::prelude::*;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::{Program, RegoVM};
use serde::Deserialize;
use serde_json::json;

use crate::bundle::{Rule, RuleBundle};
use crate::context::ScanContext;
use crate::findings::{self, RuleResult};
use crate::{Error, Result};

/// Every finding of an evaluation, collected (for tests and small scans; a scan streams them
/// with [`Evaluator::evaluate_stream`]).
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Findings (not_applicable ones are not kept), in output order.
    pub findings: Vec<Finding>,
    /// How many (resource, rule) pairs were routed but did not apply.
    pub not_applicable: usize,
    /// How many resources were evaluated (the synthetic Cluster resource included).
    pub resources: usize,
    /// Time spent before the first rule ran (see [`EvaluationStats::setup`]).
    pub setup: std::time::Duration,
}

/// Counts of a streamed evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvaluationStats {
    /// How many resources were evaluated (the synthetic Cluster resource included).
    pub resources: usize,
    /// How many (resource, rule) pairs were routed but did not apply.
    pub not_applicable: usize,
    /// How many findings were handed out.
    pub findings: usize,
    /// Time spent before the first rule ran: the objects' engine values, replica groups and
    /// the inventory. The rest of the evaluation is the rules and their findings.
    pub setup: std::time::Duration,
}

/// Resources evaluated together and handed out as one batch: enough to keep every core busy,
/// few enough that one window of findings stays a few megabytes.
pub const WINDOW: usize = 256;

/// A set of rules evaluated together in one VM call, for resources of some (type, sub_type).
struct Group {
    entry: String,
    rules: Vec<usize>,
}

/// The compiled bundle. Cheap to share across threads; compile once per scan.
pub struct Evaluator {
    /// Replicas of one template share one evaluation (see `replicas`); on by default.
    share_replicas: bool,
    rules: Vec<Rule>,
    benchmarks: Vec<BenchmarkDef>,
    /// Rules that do not compile: id → compiler message. They yield `error` findings.
    broken: HashMap<String, String>,
    /// Rules the VM cannot run; evaluated by the interpreter instead.
    interpreted: HashSet<String>,
    program: Option<Arc<Program>>,
    interpreter: regorus::Engine,
    groups: Vec<Group>,
    routes: HashMap<(ResourceType, String), usize>,
    wildcard: HashMap<ResourceType, usize>,
}

const ENTRY_PACKAGE: &str = "kspm.entry";
/// Instruction budget of one VM call (all routed rules of one resource).
const MAX_VM_INSTRUCTIONS: usize = 200_000_000;
/// What the aggregated entry reports for a rule whose finding is undefined.
const UNDEFINED: &str = "__kspm_not_applicable";

/// Why a compilation attempt failed.
enum CompileFailure {
    /// The Rego itself does not compile.
    Rego(String),
    /// The Rego compiles but the VM cannot run it.
    Vm(String),
}

/// A Rego error with its whole chain (`{:#}` prints regorus' causes and source snippet).
fn rego_err(e: impl std::fmt::Display) -> CompileFailure {
    CompileFailure::Rego(format!("{e:#}"))
}

impl Evaluator {
    /// Compiles the bundle. Library modules that do not compile are fatal; rules that do not
    /// compile are reported by [`Evaluator::broken_rules`] and yield `error` findings.
    pub fn new(bundle: RuleBundle) -> Result<Evaluator> {
        Self::build(bundle, false)
    }

    /// Like [`Evaluator::new`] but every rule runs on the interpreter (slower); used to check
    /// that the VM and the interpreter agree.
    pub fn interpreter_only(bundle: RuleBundle) -> Result<Evaluator> {
        Self::build(bundle, true)
    }

    fn build(bundle: RuleBundle, interpreter_only: bool) -> Result<Evaluator> {
        bundle.validate()?;
        let RuleBundle {
            rules,
            libs,
            benchmarks,
        } = bundle;
        let mut base = regorus::Engine::new();
        for (path, source) in &libs {
            base.add_policy(path.clone(), source.clone())
                .map_err(|e| Error::Library {
                    path: path.clone(),
                    message: format!("{e:#}"),
                })?;
        }
        let mut broken = HashMap::new();
        // Parse each rule alone so that one syntax error names its own rule.
        for rule in &rules {
            if let Some(rego) = &rule.rego {
                let mut probe = base.clone();
                let expected_package = format!("data.kspm.rules.{}", rule.meta.id);
                match probe.add_policy(format!("{}/rule.rego", rule.source), rego.clone()) {
                    Err(e) => {
                        broken.insert(rule.meta.id.clone(), format!("{e:#}"));
                    }
                    Ok(package) if package != expected_package => {
                        broken.insert(
                            rule.meta.id.clone(),
                            format!(
                                "package is `{package}`, expected `{}`",
                                &expected_package["data.".len()..]
                            ),
                        );
                    }
                    Ok(_) => {}
                }
            }
        }
        let mut interpreted: HashSet<String> = if interpreter_only {
            rules.iter().map(|r| r.meta.id.clone()).collect()
        } else {
            HashSet::new()
        };
        loop {
            match Self::compile(&rules, &base, &broken, &interpreted) {
                Ok(mut evaluator) => {
                    evaluator.broken = broken;
                    evaluator.benchmarks = benchmarks;
                    return Ok(evaluator);
                }
                Err(failure) => {
                    // Find the rules that fail on their own: Rego errors make a rule broken,
                    // VM-only errors send it to the interpreter.
                    let before = (broken.len(), interpreted.len());
                    let suspects: Vec<&Rule> = rules
                        .iter()
                        .filter(|r| {
                            r.rego.is_some()
                                && !broken.contains_key(&r.meta.id)
                                && !interpreted.contains(&r.meta.id)
                        })
                        .collect();
                    for rule in suspects {
                        match Self::compile(
                            std::slice::from_ref(rule),
                            &base,
                            &HashMap::new(),
                            &HashSet::new(),
                        ) {
                            Err(CompileFailure::Rego(m)) => {
                                broken.insert(rule.meta.id.clone(), m);
                            }
                            Err(CompileFailure::Vm(m)) => {
                                tracing::warn!(
                                    "rule {} runs on the interpreter (VM: {m})",
                                    rule.meta.id
                                );
                                interpreted.insert(rule.meta.id.clone());
                            }
                            Ok(_) => {}
                        }
                    }
                    if (broken.len(), interpreted.len()) == before {
                        match failure {
                            CompileFailure::Rego(m) => {
                                return Err(Error::Bundle(format!(
                                    "the bundle does not compile: {m}"
                                )));
                            }
                            // Only the combination fails on the VM: interpret everything.
                            CompileFailure::Vm(m) => {
                                tracing::warn!(
                                    "rule VM compilation failed, using the interpreter: {m}"
                                );
                                interpreted.extend(rules.iter().map(|r| r.meta.id.clone()));
                            }
                        }
                    }
                }
            }
        }
    }

    fn compile(
        rules: &[Rule],
        base: &regorus::Engine,
        broken: &HashMap<String, String>,
        interpreted: &HashSet<String>,
    ) -> Result<Evaluator, CompileFailure> {
        let mut interpreter = base.clone();
        let live = |r: &Rule| r.rego.is_some() && !broken.contains_key(&r.meta.id);
        for rule in rules.iter().filter(|r| live(r)) {
            interpreter
                .add_policy(
                    format!("{}/rule.rego", rule.source),
                    rule.rego.clone().unwrap_or_default(),
                )
                .map_err(rego_err)?;
        }
        // Routing: one group per distinct (type, sub_type) named by a rule, plus a wildcard
        // group per type for kinds no rule names.
        let mut keys: BTreeMap<(ResourceType, Option<String>), Vec<usize>> = BTreeMap::new();
        for rule in rules {
            let applies = &rule.meta.applies_to;
            keys.entry((applies.kind, None)).or_default();
            for sub in &applies.sub_types {
                keys.entry((applies.kind, Some(sub.clone()))).or_default();
            }
        }
        for ((kind, sub), members) in keys.iter_mut() {
            for (i, rule) in rules.iter().enumerate() {
                let a = &rule.meta.applies_to;
                let hit = match sub {
                    Some(s) => a.matches(*kind, s),
                    None => a.kind == *kind && a.sub_types.is_empty(),
                };
                if hit {
                    members.push(i);
                }
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut by_members: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut routes = HashMap::new();
        let mut wildcard = HashMap::new();
        for ((kind, sub), members) in keys {
            if members.is_empty() {
                continue;
            }
            let index = *by_members.entry(members.clone()).or_insert_with(|| {
                groups.push(Group {
                    entry: format!("data.{ENTRY_PACKAGE}.g{}", groups.len()),
                    rules: members,
                });
                groups.len() - 1
            });
            match sub {
                Some(s) => routes.insert((kind, s), index),
                None => wildcard.insert(kind, index),
            };
        }
        let mut entry_module = format!("package {ENTRY_PACKAGE}\n\n");
        let mut defined = HashSet::new();
        for (g, group) in groups.iter().enumerate() {
            // One defaulted rule per finding: `UNDEFINED` when the rule does not apply.
            // (Comprehensions over an undefined rule yield `[undefined]` on regorus' VM, and a
            // partial object with one definition per rule looped forever.)
            let mut fields = Vec::new();
            for &i in &group.rules {
                if live(&rules[i]) && !interpreted.contains(&rules[i].meta.id) {
                    let id = &rules[i].meta.id;
                    if defined.insert(id.clone()) {
                        entry_module.push_str(&format!(
                            "default r_{id} := {UNDEFINED:?}\nr_{id} := data.kspm.rules.{id}.finding\n"
                        ));
                    }
                    fields.push(format!("  {id:?}: r_{id},"));
                }
            }
            entry_module.push_str(&format!("g{g} := {{\n{}\n}}\n\n", fields.join("\n")));
        }
        interpreter
            .add_policy("kspm/entry.rego".into(), entry_module)
            .map_err(rego_err)?;
        let mut program = None;
        if let Some(first) = groups.first() {
            let compiled = interpreter
                .compile_with_entrypoint(&first.entry.as_str().into())
                .map_err(rego_err)?;
            let entries: Vec<&str> = groups.iter().map(|g| g.entry.as_str()).collect();
            // The VM may not support every construct the interpreter does; the caller then
            // moves the offending rules to the interpreter.
            program = Some(
                Compiler::compile_from_policy(&compiled, &entries)
                    .map_err(|e| CompileFailure::Vm(e.to_string()))?,
            );
        }
        Ok(Evaluator {
            share_replicas: true,
            rules: rules.to_vec(),
            benchmarks: Vec::new(),
            broken: HashMap::new(),
            interpreted: interpreted.clone(),
            program,
            interpreter,
            groups,
            routes,
            wildcard,
        })
    }

    /// Rules that did not compile, with the compiler's message.
    pub fn broken_rules(&self) -> &HashMap<String, String> {
        &self.broken
    }

    /// The active rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Rules evaluated by the interpreter because the compiled VM cannot run them.
    pub fn interpreted_rules(&self) -> &HashSet<String> {
        &self.interpreted
    }

    fn group_for(&self, kind: ResourceType, sub_type: &str) -> Option<&Group> {
        let index = self
            .routes
            .get(&(kind, sub_type.to_owned()))
            .or_else(|| self.wildcard.get(&kind))?;
        self.groups.get(*index)
    }

    /// Whether pods created by one controller from one template share one evaluation (on by
    /// default). Off, every pod is evaluated on its whole input: for checking that sharing
    /// changes no finding.
    pub fn share_replicas(mut self, on: bool) -> Evaluator {
        self.share_replicas = on;
        self
    }

    /// The benchmark definitions of the compiled bundle.
    pub fn benchmarks(&self) -> &[BenchmarkDef] {
        &self.benchmarks
    }

    /// The rule part every finding of each active rule will carry (remediation unfilled), as
    /// the evaluation numbers them for `ctx`: what a report lists as its rules before the
    /// first finding arrives.
    pub fn finding_rules(&self, ctx: &ScanContext) -> Vec<Arc<kspm_model::FindingRule>> {
        self.rules
            .iter()
            .map(|r| {
                findings::RuleText::new(&r.meta, &ctx.benchmarks, &self.benchmarks)
                    .shared()
                    .clone()
            })
            .collect()
    }

    /// Evaluates resources and collects every finding, in output order. See
    /// [`Evaluator::evaluate_stream`].
    pub fn evaluate(&self, resources: Vec<Resource>, ctx: &ScanContext) -> Evaluation {
        let mut findings = Vec::new();
        let stats = self
            .evaluate_stream(resources, &[], ctx, |batch| {
                findings.extend(batch.into_iter().flat_map(|r| r.findings));
                Ok::<(), std::convert::Infallible>(())
            })
            .unwrap_or_else(|never| match never {});
        Evaluation {
            findings,
            not_applicable: stats.not_applicable,
            resources: stats.resources,
            setup: stats.setup,
        }
    }

    /// Evaluates resources and hands their findings to `emit` window by window (at most
    /// [`WINDOW`] resources at a time), in output order: resources by display name, sub type
    /// and id; a resource's findings by rule number, then rule id. Peak memory follows the
    /// input plus one window of findings, whatever the number of findings. The first error
    /// `emit` returns stops the evaluation and is returned.
    ///
    /// Adds the synthetic Cluster resource when Kubernetes objects are present (or missing:
    /// a [`Gap`] of Kubernetes objects). Rules routed to or reading (`reads`) data that a gap
    /// covers report the gap's outcome with its reason: `error` findings, or not applicable.
    pub fn evaluate_stream<E>(
        &self,
        mut resources: Vec<Resource>,
        gaps: &[Gap],
        ctx: &ScanContext,
        mut emit: impl FnMut(Vec<ResourceFindings>) -> Result<(), E>,
    ) -> Result<EvaluationStats, E> {
        let started = std::time::Instant::now();
        let k8s_gap = gaps.iter().any(|g| g.kind == ResourceType::K8sObject);
        if k8s_gap || resources.iter().any(|r| r.kind == ResourceType::K8sObject) {
            resources.push(cluster_resource(&ctx.cluster));
        }
        // Output order by construction: the resources are sorted (a few thousand keys), never
        // the findings.
        resources.par_sort_unstable_by(|a, b| {
            (&a.name, &a.sub_type, &a.id).cmp(&(&b.name, &b.sub_type, &b.id))
        });
        // Cluster objects share one context value, converted once.
        let cluster_context = Context {
            cluster: ctx.cluster.clone(),
            node: None,
        };
        let shared = (cluster_context.clone(), context_value(&cluster_context));
        // Each object is kept as compact JSON text for its findings, then its tree is dropped:
        // the rules read the engine's value, so the scan never holds the objects three times.
        let raws: Vec<Arc<RawJson>> = resources
            .par_iter_mut()
            .map(|r| match &r.raw {
                Some(raw) => raw.clone(),
                None => {
                    let raw = Arc::new(RawJson::new(r.resource.as_ref()));
                    if r.kind == ResourceType::K8sObject {
                        r.resource = Arc::new(k8s_identity(&r.resource));
                        r.raw = Some(raw.clone());
                    }
                    raw
                }
            })
            .collect();
        tracing::debug!("kept {} objects as text{}", raws.len(), rss());
        let mut inputs = engine_values(&resources, &raws, &shared);
        tracing::debug!("converted {} inputs{}", inputs.len(), rss());
        let controllers: HashSet<(&str, &str, &str)> = resources
            .iter()
            .filter(|r| r.kind == ResourceType::K8sObject)
            .map(|r| {
                (
                    r.sub_type.as_str(),
                    r.namespace().unwrap_or(""),
                    r.short_name(),
                )
            })
            .collect();
        let owned: Vec<bool> = resources
            .par_iter()
            .map(|r| owned_by_scanned_controller(r, &controllers))
            .collect();
        // Replicas of one template share one evaluation (see `replicas`), and one entry of
        // the namespaces' workload index.
        let mut replicas = if self.share_replicas {
            crate::replicas::group(&resources, &inputs, &owned)
        } else {
            crate::replicas::Replicas::none(resources.len())
        };
        tracing::debug!("grouped the replicas{}", rss());
        let data = crate::inventory::build(&resources, &inputs, &owned, &replicas.group, gaps);
        replicas.mask_inputs(&mut inputs);
        tracing::debug!("built the inventory{}", rss());
        let texts: Vec<findings::RuleText> = self
            .rules
            .iter()
            .map(|r| findings::RuleText::new(&r.meta, &ctx.benchmarks, &self.benchmarks))
            .collect();
        let constants = findings::Constants::new(ctx);
        // The interpreter (fallback path) gets the inventory once per scan; clones share it.
        let mut interpreter = self.interpreter.clone();
        let inventory_error = interpreter
            .add_data(data.clone())
            .err()
            .map(|e| format!("the inventory could not be loaded: {e:#}"));
        let blocked = self.blocked_rules(gaps, inventory_error.as_deref());
        let orphans = self.orphan_gap_rules(gaps, &resources);
        tracing::debug!("interpreter data ready{}", rss());

        let mut stats = EvaluationStats {
            resources: resources.len(),
            setup: started.elapsed(),
            ..Default::default()
        };
        let text = (&texts[..], &constants);
        if replicas.shared > 0 {
            tracing::debug!(
                "{} controller-owned pods share {} evaluations",
                replicas.shared + replicas.groups,
                replicas.groups
            );
        }
        let shared_results: Vec<OnceLock<RuleResults>> =
            (0..replicas.groups).map(|_| OnceLock::new()).collect();
        // One window's findings, in output order, with how many rules did not apply to each
        // resource.
        let evaluate_window = |w: usize| -> Vec<(ResourceFindings, usize)> {
            let start = w * WINDOW;
            let window = &resources[start..(start + WINDOW).min(resources.len())];
            window
                .par_iter()
                .zip((start..start + window.len()).into_par_iter())
                .map_init(
                    || self.vm(&data),
                    |vm, (resource, i)| {
                        let extra = if resource.sub_type == "Cluster"
                            && resource.kind == ResourceType::K8sObject
                        {
                            &orphans[..]
                        } else {
                            &[]
                        };
                        let mut evaluate = || {
                            self.rule_results(
                                vm.as_mut(),
                                &interpreter,
                                &blocked,
                                (resource, owned[i]),
                                (&inputs[i], extra),
                            )
                        };
                        let results = match replicas.group[i] {
                            Some(g) => shared_results[g].get_or_init(evaluate).clone(),
                            None => evaluate(),
                        };
                        let (findings, na) =
                            self.findings_of(text, (resource, &raws[i]), results, ctx);
                        (
                            ResourceFindings {
                                scope: resource.scope.clone(),
                                findings,
                            },
                            na,
                        )
                    },
                )
                .collect()
        };
        for w in 0..resources.len().div_ceil(WINDOW) {
            let per_resource = evaluate_window(w);
            let mut batch = Vec::with_capacity(per_resource.len());
            for (group, na) in per_resource {
                stats.not_applicable += na;
                stats.findings += group.findings.len();
                if !group.findings.is_empty() {
                    batch.push(group);
                }
            }
            if !batch.is_empty() {
                emit(batch)?;
            }
        }
        // The inventory and the interpreter only hold references to the objects' values:
        // dropped first, so that the values themselves are freed in parallel.
        let freeing = std::time::Instant::now();
        drop(controllers);
        drop((interpreter, data));
        inputs.into_par_iter().for_each(drop);
        tracing::debug!(
            "freed the engine values in {:.3} s{}",
            freeing.elapsed().as_secs_f64(),
            rss()
        );
        Ok(stats)
    }

    /// A VM loaded with the program and the scan's inventory, one per worker.
    fn vm(&self, data: &regorus::Value) -> Option<RegoVM> {
        self.program.as_ref().map(|p| {
            let mut vm = RegoVM::new();
            vm.load_program(p.clone());
            // The default (25,000) is far too low for cross-object rules on a large cluster;
            // this bound only stops runaway rules.
            vm.set_max_instructions(MAX_VM_INSTRUCTIONS);
            // The program's rule tree never clashes with `inventory`; a failure here is caught
            // by the interpreter's own `add_data` of the same value (see `blocked_rules`).
            let _ = vm.set_data(data.clone());
            vm
        })
    }

    /// Per rule: the result it must report instead of being evaluated, because data it is
    /// routed to or reads is missing (a [`Gap`]) or the inventory did not load.
    fn blocked_rules(&self, gaps: &[Gap], inventory_error: Option<&str>) -> Vec<Option<Blocked>> {
        self.rules
            .iter()
            .map(|rule| {
                let meta = &rule.meta;
                let reads = meta.read_kinds();
                if let Some(message) = inventory_error
                    && !reads.is_empty()
                {
                    return Some(Blocked {
                        outcome: Outcome::Error,
                        reason: message.to_owned(),
                    });
                }
                // Data that does not exist here (a kind this cluster does not serve) is simply
                // absent from what the rule reads; only data that could not be read blocks it.
                let hit = gaps
                    .iter()
                    .filter(|g| g.outcome == Outcome::Error)
                    .find(|g| {
                        reads.iter().any(|(kind, sub)| {
                            // A rule reading every kind judges what could be read and names
                            // the rest (`data.inventory.unreadable`); only a source that read
                            // nothing of that type blocks it.
                            g.kind == *kind
                                && if *sub == "*" {
                                    g.sub_type == "*"
                                } else {
                                    g.covers(*kind, sub)
                                }
                        })
                    })?;
                Some(Blocked {
                    outcome: Outcome::Error,
                    reason: format!(
                        "rule `{}` reads {} {}, which could not be collected: {}",
                        meta.id,
                        hit.kind.as_str(),
                        hit.sub_type,
                        hit.reason
                    ),
                })
            })
            .collect()
    }

    /// Rules routed to a kind that could not be read report it on the synthetic Cluster
    /// resource, once per rule with every such reason, also when other kinds they are routed
    /// to were read (their findings there stand; the missing objects are said, not judged). A
    /// kind the cluster does not have is only mentioned when nothing at all is routed to the
    /// rule (then it is not applicable).
    fn orphan_gap_rules(&self, gaps: &[Gap], resources: &[Resource]) -> Vec<(usize, Gap)> {
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let a = &rule.meta.applies_to;
            let hits: Vec<&Gap> = gaps
                .iter()
                .filter(|g| {
                    g.kind == a.kind && (g.sub_type == "*" || a.matches(g.kind, &g.sub_type))
                })
                .collect();
            let unreadable: Vec<&&Gap> = hits
                .iter()
                .filter(|g| g.outcome == Outcome::Error)
                .collect();
            if let Some(first) = unreadable.first() {
                let mut reasons: Vec<&str> = unreadable.iter().map(|g| g.reason.as_str()).collect();
                reasons.dedup();
                let kinds: Vec<&str> = unreadable.iter().map(|g| g.sub_type.as_str()).collect();
                out.push((
                    i,
                    Gap {
                        kind: first.kind,
                        sub_type: kinds.join(", "),
                        reason: reasons.join("; "),
                        outcome: Outcome::Error,
                    },
                ));
                continue;
            }
            let routed_here = resources.iter().any(|r| a.matches(r.kind, &r.sub_type));
            if !routed_here && let Some(gap) = hits.first() {
                out.push((i, (*gap).clone()));
            }
        }
        out
    }

    /// What each rule routed to `resource` says about it (`None`: not applicable).
    fn rule_results(
        &self,
        vm: Option<&mut RegoVM>,
        interpreter: &regorus::Engine,
        blocked: &[Option<Blocked>],
        (resource, owned): (&Resource, bool),
        (input, orphans): (&regorus::Value, &[(usize, Gap)]),
    ) -> RuleResults {
        let group = self.group_for(resource.kind, &resource.sub_type);
        let members: &[usize] = group.map_or(&[], |g| &g.rules);
        // An object managed by a controller in the scan is only for rules that want it
        // (`applies_to.owned`); pod-spec rules report on the controller instead.
        let skipped = |i: usize| owned && !self.rules[i].meta.applies_to.owned;
        let mut results: RuleResults = Vec::with_capacity(members.len() + orphans.len());
        let live = members.iter().any(|&i| !skipped(i) && blocked[i].is_none());
        let aggregated = match (vm, group) {
            (Some(vm), Some(group)) if live => {
                vm.set_input(input.clone());
                match vm.execute_entry_point_by_name(&group.entry) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tracing::debug!(
                            "VM evaluation of {} failed, using the interpreter: {e}",
                            resource.name
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        // Rules outside the VM, and every rule when the VM call failed, run on the
        // interpreter one at a time, so that an error names its own rule.
        let mut engine: Option<regorus::Engine> = None;
        for &i in members {
            if skipped(i) {
                results.push((i, None));
                continue;
            }
            if let Some(b) = &blocked[i] {
                results.push((i, b.result()));
                continue;
            }
            let rule = &self.rules[i];
            let on_vm = !self.interpreted.contains(&rule.meta.id);
            let from_vm = match (&aggregated, on_vm) {
                (Some(value), true) => self.result_from_group(rule, value),
                _ => Err(()),
            };
            let result = match from_vm {
                Ok(r) => r,
                Err(()) => {
                    let engine = engine.get_or_insert_with(|| {
                        let mut e = interpreter.clone();
                        e.set_input(input.clone());
                        e
                    });
                    self.result_from_interpreter(rule, engine)
                }
            };
            results.push((i, result));
        }
        for (i, gap) in orphans {
            let reason = format!(
                "rule `{}` is evaluated on {} {}, which could not be collected: {}",
                self.rules[*i].meta.id,
                gap.kind.as_str(),
                gap.sub_type,
                gap.reason
            );
            let blocked = Blocked {
                outcome: gap.outcome,
                reason,
            };
            results.push((*i, blocked.result()));
        }
        results
    }

    /// The findings of one resource from its rules' results, in output order, and how many
    /// rules did not apply.
    fn findings_of(
        &self,
        (texts, constants): (&[findings::RuleText], &findings::Constants),
        (resource, raw): (&Resource, &Arc<RawJson>),
        results: RuleResults,
        ctx: &ScanContext,
    ) -> (Vec<Finding>, usize) {
        let mut findings = Vec::new();
        let mut not_applicable = 0;
        let mut parts = None;
        for (i, result) in results {
            match result {
                Some(r) => findings.push(findings::build(
                    resource,
                    &self.rules[i].meta,
                    &texts[i],
                    r,
                    ctx,
                    constants,
                    parts.get_or_insert_with(|| findings::ResourceParts::new(resource, raw)),
                )),
                None => not_applicable += 1,
            }
        }
        // Output order within a resource: by rule number, then rule id (the finding id makes
        // the order total).
        findings.sort_unstable_by(|a, b| {
            (&a.rule.benchmark.rule_number, &a.rule.id, &a.event.id).cmp(&(
                &b.rule.benchmark.rule_number,
                &b.rule.id,
                &b.event.id,
            ))
        });
        (findings, not_applicable)
    }

    fn static_result(&self, rule: &Rule) -> Option<RuleResult> {
        if let Some(message) = self.broken.get(&rule.meta.id) {
            return Some(RuleResult::error(format!(
                "rule `{}` does not compile: {message}",
                rule.meta.id
            )));
        }
        if rule.rego.is_none() {
            return Some(RuleResult {
                outcome: Outcome::Manual,
                evidence: kspm_model::RawJson::new(
                    &json!({"note": "this recommendation needs a person to review it; see the remediation"}),
                ),
                expected: kspm_model::RawJson::new(&json!({})),
                error: None,
            });
        }
        None
    }

    /// The rule's result from the aggregated VM value. `Err(())` asks for the interpreter
    /// (a value the entry cannot have produced).
    fn result_from_group(
        &self,
        rule: &Rule,
        group_value: &regorus::Value,
    ) -> Result<Option<RuleResult>, ()> {
        if let Some(r) = self.static_result(rule) {
            return Ok(Some(r));
        }
        match &group_value[rule.meta.id.as_str()] {
            regorus::Value::String(s) if s.as_ref() == UNDEFINED => Ok(None),
            regorus::Value::Undefined => Err(()),
            value => Ok(Some(findings::parse_rule_output(&rule.meta.id, value))),
        }
    }

    fn result_from_interpreter(
        &self,
        rule: &Rule,
        engine: &mut regorus::Engine,
    ) -> Option<RuleResult> {
        if let Some(r) = self.static_result(rule) {
            return Some(r);
        }
        match engine.eval_rule(rule.finding_path()) {
            Ok(regorus::Value::Undefined) => None,
            Ok(value) => Some(findings::parse_rule_output(&rule.meta.id, &value)),
            Err(e) => Some(RuleResult::error(format!(
                "rule `{}` failed: {e:#}",
                rule.meta.id
            ))),
        }
    }
}

/// What each rule routed to a resource said (by rule index; `None`: not applicable).
type RuleResults = Vec<(usize, Option<RuleResult>)>;

/// What a rule reports instead of being evaluated (see [`Evaluator::blocked_rules`]).
#[derive(Debug, Clone)]
struct Blocked {
    outcome: Outcome,
    reason: String,
}

impl Blocked {
    fn result(&self) -> Option<RuleResult> {
        match self.outcome {
            Outcome::NotApplicable => None,
            _ => Some(RuleResult::error(self.reason.clone())),
        }
    }
}

/// The synthetic resource standing for the whole cluster.
pub(crate) fn cluster_resource(cluster: &ClusterInfo) -> Resource {
    Resource {
        kind: ResourceType::K8sObject,
        sub_type: "Cluster".into(),
        id: resource_id(&cluster.id, ResourceType::K8sObject, "cluster"),
        name: cluster.name.clone(),
        resource: Arc::new(
            json!({"apiVersion": "kspm.io/v1", "kind": "Cluster", "metadata": {"name": cluster.name}}),
        ),
        context: Context {
            cluster: cluster.clone(),
            node: None,
        },
        origin: None,
        scope: Scope::Cluster,
        raw: None,
    }
}

/// True when the object has a controlling owner reference to an object of the same namespace
/// that is part of the scan — the rule library's `kspm.lib.pods.owned_by_scanned_controller`.
fn owned_by_scanned_controller(
    resource: &Resource,
    controllers: &HashSet<(&str, &str, &str)>,
) -> bool {
    if resource.kind != ResourceType::K8sObject {
        return false;
    }
    let Some(refs) = resource
        .resource
        .pointer("/metadata/ownerReferences")
        .and_then(|v| v.as_array())
    else {
        return false;
    };
    let ns = resource.namespace().unwrap_or("");
    refs.iter().any(|r| {
        r.get("controller").and_then(|c| c.as_bool()) == Some(true)
            && match (
                r.get("kind").and_then(|k| k.as_str()),
                r.get("name").and_then(|n| n.as_str()),
            ) {
                (Some(kind), Some(name)) => controllers.contains(&(kind, ns, name)),
                _ => false,
            }
    })
}

/// The engine's values of every object, parsed from their JSON text in one pass so that
/// regorus interns the object keys across all objects (a key such as `name` is stored once,
/// not once per object).
fn engine_values(
    resources: &[Resource],
    raws: &[Arc<RawJson>],
    shared: &(Context, regorus::Value),
) -> Vec<regorus::Value> {
    // One parse per thread's share of the objects: keys are interned within each share, and
    // the shares are parsed in parallel.
    let threads = rayon::current_num_threads().max(1);
    let chunk = raws.len().div_ceil(threads).max(1);
    let parsed: Vec<Option<Vec<regorus::Value>>> = raws
        .par_chunks(chunk)
        .map(|part| {
            let len: usize = part.iter().map(|r| r.as_str().len() + 1).sum();
            let mut text = String::with_capacity(len + 2);
            text.push('[');
            for (i, raw) in part.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(raw.as_str());
            }
            text.push(']');
            match regorus::Value::from_json_str(&text) {
                Ok(regorus::Value::Array(items)) if items.len() == part.len() => {
                    Some(items.iter().cloned().collect())
                }
                _ => None,
            }
        })
        .collect();
    resources
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let object = match &parsed[i / chunk] {
                Some(items) => items[i % chunk].clone(),
                None => {
                    regorus::Value::from_json_str(raws[i].as_str()).unwrap_or(regorus::Value::Null)
                }
            };
            to_engine_value(r, object, Some(shared))
        })
        .collect()
}

/// The input envelope of DESIGN §3 around an object's engine value.
fn to_engine_value(
    resource: &Resource,
    object: regorus::Value,
    shared_context: Option<&(Context, regorus::Value)>,
) -> regorus::Value {
    let mut map = BTreeMap::new();
    let s = regorus::Value::from;
    map.insert(s("type"), s(resource.kind.as_str()));
    map.insert(s("sub_type"), s(resource.sub_type.as_str()));
    map.insert(s("id"), s(resource.id.as_str()));
    map.insert(s("name"), s(resource.name.as_str()));
    map.insert(s("resource"), object);
    let context = match shared_context {
        Some((c, v)) if *c == resource.context => v.clone(),
        _ => context_value(&resource.context),
    };
    map.insert(s("context"), context);
    regorus::Value::from(map)
}

/// Resident memory, for debug logs (Linux; empty elsewhere).
fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| format!(" (rss {})", l[6..].trim()))
        })
        .unwrap_or_default()
}

fn context_value(context: &Context) -> regorus::Value {
    let json = serde_json::to_value(context).unwrap_or_default();
    regorus::Value::deserialize(&json).unwrap_or(regorus::Value::Null)
}
