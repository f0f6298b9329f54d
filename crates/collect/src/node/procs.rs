//! Processes from `<root>/proc`: command line, `comm`, and etcd's `ETCD_*` environment.

use std::path::Path;

use super::flags::{recognise, split_cmdline};
use super::host::{io_message, read_capped};
use crate::{Diagnostic, Severity};

/// Longest command line read (the kernel's own limit is far lower in practice).
const MAX_CMDLINE: u64 = 1024 * 1024;
/// Most `/proc` entries looked at.
const MAX_PIDS: usize = 100_000;

/// A running Kubernetes component.
#[derive(Debug, Clone)]
pub struct ProcEntry {
    /// Process id inside the host's pid namespace.
    pub pid: u32,
    /// The component (`kube-apiserver`, …).
    pub component: &'static str,
    /// `argv[0]` as the process shows it (the component name when only comm was readable).
    pub exe: String,
    /// The arguments after the executable.
    pub args: Vec<String>,
    /// Why the command line could not be read.
    pub error: Option<String>,
    /// `ETCD_*` variables of an etcd process (other variables are never kept: they can hold
    /// secrets).
    pub etcd_env: Vec<(String, String)>,
    /// Why an etcd process's environment could not be read (its `ETCD_*` settings are then
    /// unknown).
    pub etcd_env_error: Option<String>,
}

/// Every recognised component process under `<root>/proc`, one per component (the lowest
/// pid wins; others are reported as notes).
pub fn scan(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<ProcEntry> {
    let proc_dir = root.join("proc");
    let read = match std::fs::read_dir(&proc_dir) {
        Ok(r) => r,
        Err(e) => {
            diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: "/proc".into(),
                document: None,
                line: None,
                message: format!(
                    "cannot list processes under the host root ({}); no process was examined",
                    io_message(&e)
                ),
            });
            return Vec::new();
        }
    };
    let mut pids: Vec<u32> = read
        .flatten()
        .take(MAX_PIDS)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    pids.sort_unstable();

    let mut found: Vec<ProcEntry> = Vec::new();
    for pid in pids {
        let dir = proc_dir.join(pid.to_string());
        let comm = read_capped(&dir.join("comm"), 64)
            .map(|b| String::from_utf8_lossy(&b).trim_end().to_owned());
        let (argv, error) = match read_capped(&dir.join("cmdline"), MAX_CMDLINE) {
            Ok(raw) => (split_cmdline(&raw), None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let Some((component, skip)) = recognise(&argv, comm.as_deref().unwrap_or_default()) else {
            // Neither file readable (and the process still there): kspm cannot tell what it
            // runs, which is not the same as "no component".
            if let (Some(cmd_err), Err(comm_err)) = (&error, &comm)
                && dir.exists()
            {
                diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    file: format!("/proc/{pid}"),
                    document: None,
                    line: None,
                    message: format!(
                        "cannot read /proc/{pid}/cmdline ({cmd_err}) nor /proc/{pid}/comm \
                         ({comm_err}): the process was not examined"
                    ),
                });
            }
            continue;
        };
        if let Some(prev) = found.iter().find(|p| p.component == component) {
            diagnostics.push(Diagnostic {
                severity: Severity::Note,
                file: format!("/proc/{pid}"),
                document: None,
                line: None,
                message: format!(
                    "a second {component} process; only pid {} is reported",
                    prev.pid
                ),
            });
            continue;
        }
        let error = match (&error, argv.is_empty()) {
            (Some(e), _) => {
                diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    file: format!("/proc/{pid}/cmdline"),
                    document: None,
                    line: None,
                    message: format!(
                        "{component} (recognised by its comm): the command line cannot be read: {e}"
                    ),
                });
                Some(format!("cannot read /proc/{pid}/cmdline: {e}"))
            }
            (None, true) => Some(format!("/proc/{pid}/cmdline is empty")),
            _ => None,
        };
        let (etcd_env, etcd_env_error) = if component == "etcd" && error.is_none() {
            match read_capped(&dir.join("environ"), MAX_CMDLINE) {
                Ok(raw) => (parse_etcd_env(&raw), None),
                Err(e) => (
                    Vec::new(),
                    Some(format!("cannot read /proc/{pid}/environ: {e}")),
                ),
            }
        } else {
            (Vec::new(), None)
        };
        found.push(ProcEntry {
            pid,
            component,
            exe: argv
                .first()
                .cloned()
                .unwrap_or_else(|| component.to_owned()),
            args: argv.get(skip..).map(<[String]>::to_vec).unwrap_or_default(),
            error,
            etcd_env,
            etcd_env_error,
        });
    }
    found
}

/// Keeps `ETCD_NAME=value` pairs of a NUL-separated environment block.
pub fn parse_etcd_env(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|b| *b == 0)
        .filter(|item| item.starts_with(b"ETCD_"))
        .filter_map(|item| {
            let text = String::from_utf8_lossy(item);
            let (k, v) = text.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_etcd_env_keeps_only_etcd_variables() {
        let env = parse_etcd_env(
            b"PATH=/bin\0ETCD_DATA_DIR=/d\0AWS_SECRET_ACCESS_KEY=s3cr3t\0ETCDCTL_API=3\0ETCD_X=a=b\0",
        );
        assert_eq!(
            env,
            vec![
                ("ETCD_DATA_DIR".to_owned(), "/d".to_owned()),
                ("ETCD_X".to_owned(), "a=b".to_owned())
            ]
        );
    }
}
