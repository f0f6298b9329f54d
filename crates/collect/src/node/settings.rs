//! Effective settings: what a component actually runs with, merged from its command line, its
//! environment and its config file, with the documented defaults underneath.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::flags::{feature_gate, last};

type Flags = BTreeMap<String, Vec<String>>;

/// One kubelet setting: its config-file field path, the flag that overrides it, and the
/// documented defaults (Kubernetes v1.34).
struct KubeletKey {
    key: &'static str,
    flag: &'static str,
    /// `KubeletConfiguration` v1beta1 default: applies when the kubelet runs with `--config`.
    config_default: fn() -> Value,
    /// Command-line default: applies when the kubelet runs without a config file. Some differ
    /// from the config-file defaults on purpose upstream (anonymous auth, authorization mode,
    /// read-only port), which is why a kubelet started with flags only is less safe.
    flag_default: fn() -> Value,
    /// The kubelet's config defaulting replaces a zero value with the default (not only an
    /// absent one), so `streamingConnectionIdleTimeout: 0s` in a kubeadm config means 4h.
    zero_is_default: bool,
}

const KUBELET_KEYS: &[KubeletKey] = &[
    KubeletKey {
        key: "authentication.anonymous.enabled",
        flag: "--anonymous-auth",
        config_default: || json!(false),
        flag_default: || json!(true),
        zero_is_default: false,
    },
    KubeletKey {
        key: "authorization.mode",
        flag: "--authorization-mode",
        config_default: || json!("Webhook"),
        flag_default: || json!("AlwaysAllow"),
        zero_is_default: true,
    },
    KubeletKey {
        key: "authentication.x509.clientCAFile",
        flag: "--client-ca-file",
        config_default: || json!(""),
        flag_default: || json!(""),
        zero_is_default: false,
    },
    KubeletKey {
        key: "readOnlyPort",
        flag: "--read-only-port",
        config_default: || json!(0),
        flag_default: || json!(10255),
        zero_is_default: false,
    },
    KubeletKey {
        key: "streamingConnectionIdleTimeout",
        flag: "--streaming-connection-idle-timeout",
        config_default: || json!("4h0m0s"),
        flag_default: || json!("4h0m0s"),
        zero_is_default: true,
    },
    KubeletKey {
        key: "makeIPTablesUtilChains",
        flag: "--make-iptables-util-chains",
        config_default: || json!(true),
        flag_default: || json!(true),
        zero_is_default: false,
    },
    KubeletKey {
        key: "eventRecordQPS",
        flag: "--event-qps",
        config_default: || json!(50),
        flag_default: || json!(50),
        zero_is_default: false,
    },
    KubeletKey {
        key: "tlsCertFile",
        flag: "--tls-cert-file",
        config_default: || json!(""),
        flag_default: || json!(""),
        zero_is_default: false,
    },
    KubeletKey {
        key: "tlsPrivateKeyFile",
        flag: "--tls-private-key-file",
        config_default: || json!(""),
        flag_default: || json!(""),
        zero_is_default: false,
    },
    KubeletKey {
        key: "rotateCertificates",
        flag: "--rotate-certificates",
        config_default: || json!(false),
        flag_default: || json!(false),
        zero_is_default: false,
    },
    KubeletKey {
        key: "serverTLSBootstrap",
        flag: "--rotate-server-certificates",
        config_default: || json!(false),
        flag_default: || json!(false),
        zero_is_default: false,
    },
    KubeletKey {
        // Beta and on by default since v1.12.
        key: "featureGates.RotateKubeletServerCertificate",
        flag: "--feature-gates",
        config_default: || json!(true),
        flag_default: || json!(true),
        zero_is_default: false,
    },
    KubeletKey {
        // Empty means Go's default suite list.
        key: "tlsCipherSuites",
        flag: "--tls-cipher-suites",
        config_default: || json!([]),
        flag_default: || json!([]),
        zero_is_default: false,
    },
    KubeletKey {
        // -1: no per-pod limit beyond the node's.
        key: "podPidsLimit",
        flag: "--pod-max-pids",
        config_default: || json!(-1),
        flag_default: || json!(-1),
        zero_is_default: false,
    },
    KubeletKey {
        key: "seccompDefault",
        flag: "--seccomp-default",
        config_default: || json!(false),
        flag_default: || json!(false),
        zero_is_default: false,
    },
    KubeletKey {
        key: "staticPodPath",
        flag: "--pod-manifest-path",
        config_default: || json!(""),
        flag_default: || json!(""),
        zero_is_default: false,
    },
];

/// What is known about a component's config file.
#[derive(Debug, Clone, Copy)]
pub enum ConfigState<'a> {
    /// No config file was named.
    None,
    /// The file was read and parsed.
    Parsed(&'a Value),
    /// A file was named but could not be read or parsed: the settings it could hold are
    /// unknown, so no defaults are filled in for them.
    Broken,
}

/// Kubelet effective settings: flag > config file > documented default.
pub fn kubelet(flags: &Flags, config: ConfigState<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    for k in KUBELET_KEYS {
        let from_flag = if k.flag == "--feature-gates" {
            let gate = k.key.rsplit('.').next().unwrap_or(k.key);
            feature_gate(flags, gate)
        } else {
            last(flags, k.flag)
        };
        if let Some(v) = from_flag {
            out.insert(
                k.key.into(),
                json!({"value": v, "source": "flag", "flag": k.flag, "key": k.key}),
            );
            continue;
        }
        let entry = match config {
            ConfigState::Broken => continue,
            ConfigState::None => {
                json!({"value": (k.flag_default)(), "source": "default", "key": k.key})
            }
            ConfigState::Parsed(cfg) => match lookup(cfg, k.key) {
                Some(v) if k.zero_is_default && is_zero(v) => json!({
                    "value": (k.config_default)(), "source": "default", "key": k.key,
                    "config_value": v,
                }),
                Some(v) => json!({"value": v, "source": "config", "key": k.key}),
                None => json!({"value": (k.config_default)(), "source": "default", "key": k.key}),
            },
        };
        out.insert(k.key.into(), entry);
    }
    out
}

/// The value at a dotted field path; `null` counts as absent.
pub fn lookup<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    let mut cur = value;
    for part in dotted.split('.') {
        cur = cur.get(part)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn is_zero(v: &Value) -> bool {
    match v {
        // An empty string, or a duration with no non-zero digit ("0s", "0h0m0s").
        Value::String(s) => {
            let t = s.trim();
            t.is_empty()
                || (t.starts_with(|c: char| c.is_ascii_digit())
                    && !t.chars().any(|c| c.is_ascii_digit() && c != '0'))
        }
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// etcd's security settings and their defaults (etcd v3.5/v3.6), filled in when nothing else
/// sets them so rules can tell "off by default" from "unknown".
type DefaultValue = fn() -> Value;

const ETCD_DEFAULTS: &[(&str, DefaultValue)] = &[
    ("--client-cert-auth", || json!(false)),
    ("--peer-client-cert-auth", || json!(false)),
    ("--auto-tls", || json!(false)),
    ("--peer-auto-tls", || json!(false)),
    ("--cert-file", || json!("")),
    ("--key-file", || json!("")),
    ("--peer-cert-file", || json!("")),
    ("--peer-key-file", || json!("")),
    ("--trusted-ca-file", || json!("")),
    ("--peer-trusted-ca-file", || json!("")),
];

/// The flag an `ETCD_*` environment variable stands for (`ETCD_CLIENT_CERT_AUTH` →
/// `--client-cert-auth`).
pub fn etcd_env_flag(name: &str) -> Option<String> {
    let rest = name.strip_prefix("ETCD_")?;
    (!rest.is_empty()).then(|| format!("--{}", rest.to_lowercase().replace('_', "-")))
}

/// What is known about etcd's `ETCD_*` environment.
#[derive(Debug, Clone, Copy)]
pub enum EtcdEnv<'a> {
    /// Read (or not applicable, as for a mirror pod's command line): these variables.
    Known(&'a [(String, String)]),
    /// `/proc/<pid>/environ` exists but could not be read: any setting no flag gives is unknown.
    Unreadable,
}

/// etcd effective settings, keyed by flag name.
///
/// etcd reads *either* its config file *or* its flags and environment: when `--config-file`
/// (or `ETCD_CONFIG_FILE`) names a file, etcd ignores every other flag and variable. So with a
/// config file the settings come from it alone; without one a flag wins over its `ETCD_*`
/// variable. Defaults for the security settings fill the gaps, except when the environment could
/// not be read: a setting the command line does not give is then left out (unknown), never
/// defaulted.
pub fn etcd(flags: &Flags, env: EtcdEnv<'_>, config: ConfigState<'_>) -> Map<String, Value> {
    let env_known = matches!(env, EtcdEnv::Known(_));
    let env: &[(String, String)] = match env {
        EtcdEnv::Known(vars) => vars,
        EtcdEnv::Unreadable => &[],
    };
    let mut out = Map::new();
    match config {
        ConfigState::Broken => return out,
        ConfigState::Parsed(cfg) => {
            if let Some(map) = cfg.as_object() {
                for (key, value) in map {
                    if value.is_null() {
                        continue;
                    }
                    let prefix = match key.as_str() {
                        "client-transport-security" => Some(""),
                        "peer-transport-security" => Some("peer-"),
                        _ => None,
                    };
                    match (prefix, value.as_object()) {
                        (Some(prefix), Some(tls)) => {
                            for (k, v) in tls {
                                if v.is_null() {
                                    continue;
                                }
                                let flag = etcd_tls_flag(prefix, k);
                                out.insert(
                                    flag,
                                    json!({"value": v, "source": "config", "key": format!("{key}.{k}")}),
                                );
                            }
                        }
                        _ => {
                            out.insert(
                                format!("--{key}"),
                                json!({"value": value, "source": "config", "key": key}),
                            );
                        }
                    }
                }
            }
        }
        ConfigState::None => {
            for (name, value) in env {
                if let Some(flag) = etcd_env_flag(name) {
                    out.insert(flag, json!({"value": value, "source": "env", "env": name}));
                }
            }
            for (flag, values) in flags {
                if let Some(v) = values.last() {
                    out.insert(
                        flag.clone(),
                        json!({"value": v, "source": "flag", "flag": flag}),
                    );
                }
            }
        }
    }
    if !env_known && matches!(config, ConfigState::None) {
        return out;
    }
    for (flag, default) in ETCD_DEFAULTS {
        out.entry(*flag)
            .or_insert_with(|| json!({"value": default(), "source": "default"}));
    }
    out
}

/// The flag for a key of etcd's `client-transport-security` / `peer-transport-security`.
fn etcd_tls_flag(prefix: &str, key: &str) -> String {
    // `client-cert-auth` under peer security is `--peer-client-cert-auth`; the others follow
    // the same pattern (`cert-file` → `--peer-cert-file`).
    format!("--{prefix}{key}")
}

/// The metrics address kube-proxy listens on when nothing sets it.
pub const KUBE_PROXY_METRICS_DEFAULT: &str = "127.0.0.1:10249";

/// kube-proxy effective settings (`metricsBindAddress`).
///
/// kube-proxy ignores `--metrics-bind-address` when it runs with `--config` (its flag help says
/// so), so the config file decides then; an empty value there is defaulted.
pub fn kube_proxy(flags: &Flags, config: ConfigState<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    let key = "metricsBindAddress";
    let default = json!({"value": KUBE_PROXY_METRICS_DEFAULT, "source": "default", "key": key});
    let entry = match config {
        ConfigState::Broken => return out,
        ConfigState::Parsed(cfg) => match lookup(cfg, key) {
            Some(Value::String(s)) if s.is_empty() => default,
            Some(v) => json!({"value": v, "source": "config", "key": key}),
            None => default,
        },
        ConfigState::None => match last(flags, "--metrics-bind-address") {
            Some(v) => {
                json!({"value": v, "source": "flag", "flag": "--metrics-bind-address", "key": key})
            }
            None => default,
        },
    };
    out.insert(key.into(), entry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::flags::parse_flags;

    fn flags(items: &[&str]) -> Flags {
        parse_flags(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn kubelet_flag_beats_config_and_config_beats_default() {
        let cfg = json!({"readOnlyPort": 0, "authentication": {"anonymous": {"enabled": false}},
                         "featureGates": {"RotateKubeletServerCertificate": false}});
        let f = flags(&[
            "--read-only-port=10255",
            "--feature-gates=RotateKubeletServerCertificate=true",
        ]);
        let e = kubelet(&f, ConfigState::Parsed(&cfg));
        assert_eq!(e["readOnlyPort"]["value"], "10255");
        assert_eq!(e["readOnlyPort"]["source"], "flag");
        assert_eq!(e["readOnlyPort"]["flag"], "--read-only-port");
        assert_eq!(e["authentication.anonymous.enabled"]["value"], false);
        assert_eq!(e["authentication.anonymous.enabled"]["source"], "config");
        assert_eq!(
            e["featureGates.RotateKubeletServerCertificate"]["value"],
            "true"
        );
        assert_eq!(e["authorization.mode"]["value"], "Webhook");
        assert_eq!(e["authorization.mode"]["source"], "default");
    }

    #[test]
    fn kubelet_defaults_differ_between_config_file_and_flags_only() {
        let cfg = json!({});
        let with_file = kubelet(&Flags::new(), ConfigState::Parsed(&cfg));
        let flags_only = kubelet(&Flags::new(), ConfigState::None);
        assert_eq!(
            with_file["authentication.anonymous.enabled"]["value"],
            false
        );
        assert_eq!(
            flags_only["authentication.anonymous.enabled"]["value"],
            true
        );
        assert_eq!(with_file["readOnlyPort"]["value"], 0);
        assert_eq!(flags_only["readOnlyPort"]["value"], 10255);
        assert_eq!(flags_only["authorization.mode"]["value"], "AlwaysAllow");
    }

    #[test]
    fn kubelet_zero_idle_timeout_in_config_means_the_default() {
        let cfg = json!({"streamingConnectionIdleTimeout": "0s", "eventRecordQPS": 0});
        let e = kubelet(&Flags::new(), ConfigState::Parsed(&cfg));
        assert_eq!(e["streamingConnectionIdleTimeout"]["value"], "4h0m0s");
        assert_eq!(e["streamingConnectionIdleTimeout"]["source"], "default");
        assert_eq!(e["streamingConnectionIdleTimeout"]["config_value"], "0s");
        // eventRecordQPS is a pointer upstream: an explicit 0 stays 0.
        assert_eq!(e["eventRecordQPS"]["value"], 0);
        assert_eq!(e["eventRecordQPS"]["source"], "config");
        let cfg = json!({"streamingConnectionIdleTimeout": "5m"});
        let e = kubelet(&Flags::new(), ConfigState::Parsed(&cfg));
        assert_eq!(e["streamingConnectionIdleTimeout"]["value"], "5m");
    }

    #[test]
    fn kubelet_broken_config_leaves_non_flag_keys_out() {
        let e = kubelet(&flags(&["--anonymous-auth=false"]), ConfigState::Broken);
        assert_eq!(e.len(), 1);
        assert_eq!(e["authentication.anonymous.enabled"]["value"], "false");
    }

    #[test]
    fn lookup_follows_dotted_paths_and_treats_null_as_absent() {
        let v = json!({"a": {"b": {"c": 1}, "n": null}});
        assert_eq!(lookup(&v, "a.b.c"), Some(&json!(1)));
        assert_eq!(lookup(&v, "a.n"), None);
        assert_eq!(lookup(&v, "a.x.c"), None);
    }

    #[test]
    fn is_zero_recognises_zero_durations_only() {
        for z in ["0s", "0", "", "0h0m0s", "0.0s"] {
            assert!(is_zero(&json!(z)), "{z}");
        }
        for nz in ["4h", "10s", "0h5m0s", "1", "Webhook"] {
            assert!(!is_zero(&json!(nz)), "{nz}");
        }
        assert!(is_zero(&json!(0)));
    }

    #[test]
    fn etcd_flag_beats_env_without_config_file() {
        let env = vec![
            ("ETCD_CLIENT_CERT_AUTH".to_owned(), "true".to_owned()),
            ("ETCD_DATA_DIR".to_owned(), "/data/etcd".to_owned()),
        ];
        let e = etcd(
            &flags(&["--client-cert-auth=false"]),
            EtcdEnv::Known(&env),
            ConfigState::None,
        );
        assert_eq!(e["--client-cert-auth"]["value"], "false");
        assert_eq!(e["--client-cert-auth"]["source"], "flag");
        assert_eq!(e["--data-dir"]["value"], "/data/etcd");
        assert_eq!(e["--data-dir"]["env"], "ETCD_DATA_DIR");
        assert_eq!(e["--auto-tls"]["source"], "default");
    }

    #[test]
    fn etcd_config_file_maps_nested_tls_keys_and_hides_flags() {
        let cfg = json!({"data-dir": "/srv/etcd",
            "client-transport-security": {"cert-file": "/p/s.crt", "client-cert-auth": true},
            "peer-transport-security": {"client-cert-auth": true, "auto-tls": false}});
        let env = vec![("ETCD_AUTO_TLS".to_owned(), "true".to_owned())];
        let e = etcd(
            &flags(&["--client-cert-auth=false"]),
            EtcdEnv::Known(&env),
            ConfigState::Parsed(&cfg),
        );
        assert_eq!(e["--data-dir"]["value"], "/srv/etcd");
        assert_eq!(e["--cert-file"]["value"], "/p/s.crt");
        assert_eq!(
            e["--cert-file"]["key"],
            "client-transport-security.cert-file"
        );
        assert_eq!(e["--client-cert-auth"]["value"], true);
        assert_eq!(e["--peer-client-cert-auth"]["value"], true);
        assert_eq!(e["--peer-auto-tls"]["value"], false);
        assert_eq!(e["--auto-tls"]["source"], "default");
    }

    #[test]
    fn etcd_unreadable_environment_leaves_unflagged_settings_unknown() {
        let e = etcd(
            &flags(&["--client-cert-auth=true"]),
            EtcdEnv::Unreadable,
            ConfigState::None,
        );
        assert_eq!(e["--client-cert-auth"]["value"], "true");
        // No default for what an ETCD_* variable might have set.
        assert!(e.get("--auto-tls").is_none());
        assert!(e.get("--peer-client-cert-auth").is_none());
    }

    #[test]
    fn etcd_env_names_map_to_flags() {
        assert_eq!(
            etcd_env_flag("ETCD_PEER_AUTO_TLS").as_deref(),
            Some("--peer-auto-tls")
        );
        assert_eq!(etcd_env_flag("ETCDCTL_API"), None);
        assert_eq!(etcd_env_flag("ETCD_"), None);
    }

    #[test]
    fn kube_proxy_config_file_wins_and_empty_means_default() {
        let f = flags(&["--metrics-bind-address=0.0.0.0:10249"]);
        let e = kube_proxy(&f, ConfigState::None);
        assert_eq!(e["metricsBindAddress"]["value"], "0.0.0.0:10249");
        assert_eq!(e["metricsBindAddress"]["source"], "flag");
        let cfg = json!({"metricsBindAddress": ""});
        let e = kube_proxy(&f, ConfigState::Parsed(&cfg));
        assert_eq!(e["metricsBindAddress"]["value"], KUBE_PROXY_METRICS_DEFAULT);
        assert_eq!(e["metricsBindAddress"]["source"], "default");
        let cfg = json!({"metricsBindAddress": "0.0.0.0:10249"});
        let e = kube_proxy(&Flags::new(), ConfigState::Parsed(&cfg));
        assert_eq!(e["metricsBindAddress"]["source"], "config");
        assert!(kube_proxy(&f, ConfigState::Broken).is_empty());
    }
}
