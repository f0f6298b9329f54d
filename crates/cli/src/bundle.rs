//! Which rules a command runs: the embedded bundle plus the user's rule directories.

use std::path::PathBuf;

use anyhow::Context as _;

/// The embedded bundle plus user rule directories (a user rule or benchmark with the id of a
/// bundled one replaces it).
pub fn load(extra: &[PathBuf]) -> anyhow::Result<kspm_engine::RuleBundle> {
    let mut bundle =
        kspm_engine::RuleBundle::embedded().context("loading the embedded rule bundle")?;
    for dir in extra {
        let user = kspm_engine::RuleBundle::from_dir(dir)
            .with_context(|| format!("loading rules from {}", dir.display()))?;
        bundle.merge(user);
    }
    bundle.validate()?;
    Ok(bundle)
}
