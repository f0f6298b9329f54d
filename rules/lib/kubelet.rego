# Helpers for the kubelet rules (CIS section 4.2): one resolved value per config key.
#
# The node collector records `effective[<config key>]` = {value, source: flag|config|default}
# (flag > config file > documented default). When a key is missing there, the value is resolved
# here the same way: the flag, then the parsed --config file, then the documented default, which
# differs with and without a config file (the command-line defaults are the old, open ones).
# A config file that could not be read makes config-file and default values unknown: only a flag
# can then decide, otherwise the rule reports an error.
#
# regorus VM note: a body like `s := f(x)` whose variable is only used in the head succeeds on the
# VM even when f is undefined; these helpers return null for "unknown" and test it in the body.
package kspm.lib.kubelet

import rego.v1

# Config key -> the command-line flag that overrides it.
flag_of := {
	"authentication.anonymous.enabled": "--anonymous-auth",
	"authorization.mode": "--authorization-mode",
	"authentication.x509.clientCAFile": "--client-ca-file",
	"readOnlyPort": "--read-only-port",
	"streamingConnectionIdleTimeout": "--streaming-connection-idle-timeout",
	"makeIPTablesUtilChains": "--make-iptables-util-chains",
	"eventRecordQPS": "--event-qps",
	"tlsCertFile": "--tls-cert-file",
	"tlsPrivateKeyFile": "--tls-private-key-file",
	"rotateCertificates": "--rotate-certificates",
	"serverTLSBootstrap": "--rotate-server-certificates",
	"featureGates.RotateKubeletServerCertificate": "--feature-gates",
	"tlsCipherSuites": "--tls-cipher-suites",
	"podPidsLimit": "--pod-max-pids",
	"seccompDefault": "--seccomp-default",
	"staticPodPath": "--pod-manifest-path",
}

# Documented defaults of KubeletConfiguration (kubelet.config.k8s.io/v1beta1), used when the
# kubelet runs with --config. null = no value.
config_defaults := {
	"authentication.anonymous.enabled": false,
	"authorization.mode": "Webhook",
	"authentication.x509.clientCAFile": null,
	"readOnlyPort": 0,
	"streamingConnectionIdleTimeout": "4h0m0s",
	"makeIPTablesUtilChains": true,
	"eventRecordQPS": 50,
	"tlsCertFile": null,
	"tlsPrivateKeyFile": null,
	"rotateCertificates": false,
	"serverTLSBootstrap": false,
	"featureGates.RotateKubeletServerCertificate": true,
	"tlsCipherSuites": null,
	"podPidsLimit": -1,
	"seccompDefault": false,
	"staticPodPath": null,
}

# Command-line defaults, used when the kubelet runs without --config.
cli_defaults := object.union(config_defaults, {
	"authentication.anonymous.enabled": true,
	"authorization.mode": "AlwaysAllow",
	"readOnlyPort": 10255,
})

has_config_file(p) if object.get(p, "config_path", "") != ""

# The value of a feature gate given with --feature-gates (last occurrence wins), as written.
gate_values(p, gate) := [trim_space(kv[1]) |
	some item in data.kspm.lib.node.flag_list(p, "--feature-gates")
	kv := split(item, "=")
	count(kv) == 2
	trim_space(kv[0]) == gate
]

# {"value": …, "source": "flag"} when the command line sets the key, else null.
from_flag(p, key) := {"value": vs[count(vs) - 1], "source": "flag", "flag": "--feature-gates"} if {
	startswith(key, "featureGates.")
	vs := gate_values(p, substring(key, count("featureGates."), -1))
	count(vs) > 0
} else := {"value": data.kspm.lib.node.flag(p, flag_of[key]), "source": "flag", "flag": flag_of[key]} if {
	not startswith(key, "featureGates.")
	data.kspm.lib.node.has_flag(p, flag_of[key])
} else := null

# {"value": …, "source": "config"} when the parsed config file has the key, else null.
from_config(p, key) := {"value": v, "source": "config"} if {
	not data.kspm.lib.node.config_unreadable(p)
	v := object.get(object.get(p, "config", {}), split(key, "."), null)
	v != null
} else := null

# The resolved setting {"value", "source", "flag"?} or null when it cannot be known.
lookup(p, key) := s if {
	s := object.get(object.get(p, "effective", {}), key, null)
	s != null
	trusted(p, s)
} else := s if {
	s := from_flag(p, key)
	s != null
} else := s if {
	s := from_config(p, key)
	s != null
} else := {"value": config_defaults[key], "source": "default"} if {
	has_config_file(p)
	not data.kspm.lib.node.config_unreadable(p)
} else := {"value": cli_defaults[key], "source": "default"} if {
	not has_config_file(p)
} else := null

# Config-file and default values are not trusted when the config file could not be read.
trusted(p, s) if not data.kspm.lib.node.config_unreadable(p)

trusted(p, s) if {
	data.kspm.lib.node.config_unreadable(p)
	s.source in {"flag", "env"}
}

# The value, or null when it is unknown or unset.
value(p, key) := s.value if {
	s := lookup(p, key)
	s != null
} else := null

# "readOnlyPort = 0 (from the config file /var/lib/kubelet/config.yaml)"
text(p, key) := sprintf("%s = %s (%s)", [key, value_text(s.value), where(p, s)]) if {
	s := lookup(p, key)
	s != null
	not empty(s.value)
}

text(p, key) := sprintf("%s not set (%s)", [key, where(p, s)]) if {
	s := lookup(p, key)
	s != null
	empty(s.value)
}

text(p, key) := sprintf("%s unknown (the config file could not be read)", [key]) if lookup(p, key) == null

# null, "" and [] all mean "no value" (the collector records "" and [] as defaults).
empty(v) if v == null

empty(v) if {
	is_string(v)
	trim_space(v) == ""
}

empty(v) if {
	is_array(v)
	count(v) == 0
}

value_text(v) := v if is_string(v)

value_text(v) := concat(",", [sprintf("%v", [x]) | some x in v]) if is_array(v)

value_text(v) := sprintf("%v", [v]) if {
	not is_string(v)
	not is_array(v)
}

where(p, s) := sprintf("from the flag %s", [object.get(s, "flag", "")]) if {
	s.source == "flag"
	object.get(s, "flag", "") != ""
} else := "from the command line" if {
	s.source == "flag"
} else := sprintf("from the config drop-in %s", [s.dropin]) if {
	s.source == "config"
	is_string(s.dropin)
} else := sprintf("from the config file %s", [p.config_path]) if {
	s.source == "config"
	has_config_file(p)
} else := sprintf("documented default with a config file; the file says %v, which the kubelet replaces with the default", [s.config_value]) if {
	s.source == "default"
	has_config_file(p)
	object.get(s, "config_value", null) != null
} else := "documented default with a config file" if {
	s.source == "default"
	has_config_file(p)
} else := "documented default without a config file" if {
	s.source == "default"
} else := sprintf("from the %s", [s.source])

# Why a rule that needs `keys` cannot judge them, or "".
unavailable(p, keys) := p.error if {
	object.get(p, "error", "") != ""
} else := sprintf("kubelet config file %s could not be read: %s", [object.get(p, "config_path", "(--config)"), p.config_error]) if {
	count(unknown_keys(p, keys)) > 0
} else := ""

# (An iteration inside an `else` body is not evaluated on the regorus VM, hence the helper.)
unknown_keys(p, keys) := [key | some key in keys; lookup(p, key) == null]

available(p, keys) if unavailable(p, keys) == ""

# The error finding for a rule that needs `keys` when they cannot be known.
error_finding(p, keys) := {
	"evaluation": "error",
	"evidence": {"error": msg, "settings": keys},
} if {
	msg := unavailable(p, keys)
	msg != ""
}

# The config file to edit (kubeadm's path when the kubelet has none yet), for remediation.
config_file(p) := p.config_path if has_config_file(p)

config_file(p) := "/var/lib/kubelet/config.yaml" if not has_config_file(p)

config_flag(p) := sprintf("--config=%s", [p.config_path]) if has_config_file(p)

config_flag(p) := "not set: the kubelet runs on flags and command-line defaults" if not has_config_file(p)

# Evidence every kubelet finding carries.
base_evidence(p) := {"config_file": config_file(p), "kubelet_config": config_flag(p)}
