//! Command lines: Go-style flag parsing and recognising Kubernetes components by executable.

use std::collections::BTreeMap;

/// The components the node collector reports, by their full name.
pub const COMPONENTS: [&str; 6] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
    "kubelet",
    "kube-proxy",
];

/// The component a command line belongs to, and the arguments after the executable.
///
/// Recognised by the basename of `argv[0]`, also in the `hyperkube <component> …` form. The
/// kernel's `comm` is the fallback for processes whose `argv[0]` was rewritten; it is cut to 15
/// bytes, so `kube-controller` stands for `kube-controller-manager`.
pub fn recognise(argv: &[String], comm: &str) -> Option<(&'static str, usize)> {
    let Some(first) = argv.first() else {
        // Command line unreadable or empty: comm is all there is.
        return component_from_comm(comm).map(|c| (c, 1));
    };
    let base = basename(first);
    if let Some(c) = component_named(base) {
        return Some((c, 1));
    }
    if base == "hyperkube"
        && let Some(c) = argv.get(1).and_then(|s| component_named(basename(s)))
    {
        return Some((c, 2));
    }
    // A readable argv[0] that names something else (a shell, `etcdctl`) is not the component,
    // even when comm matches; only an argv[0] that starts like comm (a renamed or versioned
    // binary, `kube-apiserver-v1.34`) defers to it.
    let comm = comm.trim_end();
    component_from_comm(comm)
        .filter(|_| !comm.is_empty() && base.starts_with(comm))
        .map(|c| (c, 1))
}

/// The component whose executable basename is `name`.
fn component_named(name: &str) -> Option<&'static str> {
    COMPONENTS.iter().copied().find(|c| *c == name)
}

/// The component a (possibly truncated) `comm` value names.
pub fn component_from_comm(comm: &str) -> Option<&'static str> {
    let comm = comm.trim_end_matches(['\n', '\0']);
    if comm.is_empty() {
        return None;
    }
    if let Some(c) = component_named(comm) {
        return Some(c);
    }
    // The kernel keeps the first 15 bytes (TASK_COMM_LEN 16 with the NUL).
    if comm.len() == 15 {
        return COMPONENTS
            .iter()
            .copied()
            .find(|c| c.len() > 15 && c.starts_with(comm));
    }
    None
}

/// The last path segment of an executable path.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Parses Go-style flags into `--name → every value, in order`.
///
/// Accepts `--name=value`, `--name value` (the next argument is the value when it does not look
/// like a flag; a negative number counts as a value), single-dash `-name` (normalised to
/// `--name`, as Go's flag package treats both alike) and bare booleans (`--profiling` is
/// `["true"]`). Repeated flags keep every occurrence. Arguments after `--` and positional
/// arguments are not flags and are skipped.
pub fn parse_flags(args: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            break;
        }
        if !arg.starts_with('-') || arg == "-" || is_negative_number(arg) {
            continue;
        }
        let body = arg.trim_start_matches('-');
        if body.is_empty() {
            continue;
        }
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name, value.to_owned()),
            None => match args.get(i) {
                Some(next) if !looks_like_flag(next) => {
                    i += 1;
                    (body, next.clone())
                }
                _ => (body, "true".to_owned()),
            },
        };
        flags.entry(format!("--{name}")).or_default().push(value);
    }
    flags
}

fn looks_like_flag(arg: &str) -> bool {
    arg.starts_with('-') && arg != "-" && !is_negative_number(arg)
}

fn is_negative_number(arg: &str) -> bool {
    arg.strip_prefix('-')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// The last value of a flag, as Go's flag package keeps it.
pub fn last<'a>(flags: &'a BTreeMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    flags.get(name).and_then(|v| v.last()).map(String::as_str)
}

/// The value of `gate` in every `--feature-gates=A=true,B=false` occurrence (the last wins).
pub fn feature_gate<'a>(flags: &'a BTreeMap<String, Vec<String>>, gate: &str) -> Option<&'a str> {
    let mut found = None;
    for occurrence in flags.get("--feature-gates").into_iter().flatten() {
        for item in occurrence.split(',') {
            if let Some((k, v)) = item.split_once('=')
                && k.trim() == gate
            {
                found = Some(v.trim());
            }
        }
    }
    found
}

/// Splits a `/proc/<pid>/cmdline` (NUL-separated, NUL-terminated) into arguments.
///
/// A process that rewrote its title into one space-separated string (no NUL inside) is split
/// on whitespace instead.
pub fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let trimmed = text.trim_end_matches('\0');
    if trimmed.is_empty() {
        return Vec::new();
    }
    if !trimmed.contains('\0') && trimmed.contains(' ') {
        return trimmed.split_whitespace().map(str::to_owned).collect();
    }
    trimmed.split('\0').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parse_flags_handles_equals_space_single_dash_booleans_and_repeats() {
        let f = parse_flags(&argv(&[
            "--profiling",
            "--kubeconfig",
            "/etc/k.conf",
            "-v=2",
            "--authorization-mode=Node,RBAC",
            "--feature-gates=A=true",
            "--feature-gates",
            "B=false",
            "--empty=",
            "--oom-score-adj",
            "-999",
            "positional",
            "--last",
        ]));
        assert_eq!(f["--profiling"], vec!["true"]);
        assert_eq!(f["--kubeconfig"], vec!["/etc/k.conf"]);
        assert_eq!(f["--v"], vec!["2"]);
        assert_eq!(f["--authorization-mode"], vec!["Node,RBAC"]);
        assert_eq!(f["--feature-gates"], vec!["A=true", "B=false"]);
        assert_eq!(f["--empty"], vec![""]);
        assert_eq!(f["--oom-score-adj"], vec!["-999"]);
        assert_eq!(f["--last"], vec!["true"]);
        assert!(!f.contains_key("--positional"));
        assert!(!f.contains_key("--999"));
    }

    #[test]
    fn bare_boolean_followed_by_a_flag_is_true() {
        let f = parse_flags(&argv(&["--profiling", "--secure-port=6443"]));
        assert_eq!(f["--profiling"], vec!["true"]);
        assert_eq!(f["--secure-port"], vec!["6443"]);
    }

    #[test]
    fn double_dash_ends_flag_parsing() {
        let f = parse_flags(&argv(&["--a=1", "--", "--b=2"]));
        assert!(f.contains_key("--a"));
        assert!(!f.contains_key("--b"));
    }

    #[test]
    fn feature_gate_takes_the_last_setting_across_occurrences() {
        let f = parse_flags(&argv(&[
            "--feature-gates=RotateKubeletServerCertificate=false,X=true",
            "--feature-gates= RotateKubeletServerCertificate = true",
        ]));
        assert_eq!(
            feature_gate(&f, "RotateKubeletServerCertificate"),
            Some("true")
        );
        assert_eq!(feature_gate(&f, "X"), Some("true"));
        assert_eq!(feature_gate(&f, "Y"), None);
    }

    #[test]
    fn recognise_by_basename_hyperkube_and_truncated_comm() {
        assert_eq!(
            recognise(
                &argv(&["/usr/local/bin/kube-apiserver", "--x"]),
                "kube-apiserver"
            ),
            Some(("kube-apiserver", 1))
        );
        assert_eq!(
            recognise(&argv(&["/hyperkube", "kubelet", "--x"]), "hyperkube"),
            Some(("kubelet", 2))
        );
        assert_eq!(
            recognise(&[], "kube-controller"),
            Some(("kube-controller-manager", 1))
        );
        assert_eq!(recognise(&argv(&["etcdctl", "get"]), "etcdctl"), None);
        assert_eq!(recognise(&argv(&["/bin/sh", "-c", "kubelet"]), "sh"), None);
        assert_eq!(
            component_from_comm("kube-scheduler\n"),
            Some("kube-scheduler")
        );
        assert_eq!(component_from_comm("kube-contro"), None);
        assert_eq!(
            recognise(
                &argv(&["/opt/kube-controller-manager-v1.34", "--x"]),
                "kube-controller"
            ),
            Some(("kube-controller-manager", 1))
        );
    }

    #[test]
    fn split_cmdline_uses_nul_and_falls_back_to_spaces() {
        assert_eq!(
            split_cmdline(b"etcd\0--name=a\0\0--x\0"),
            vec!["etcd", "--name=a", "", "--x"]
        );
        assert_eq!(
            split_cmdline(b"kubelet --config /c.yaml"),
            vec!["kubelet", "--config", "/c.yaml"]
        );
        assert!(split_cmdline(b"").is_empty());
    }
}
