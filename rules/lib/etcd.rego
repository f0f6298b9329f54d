# Helpers for the etcd rules (CIS section 2): where a setting came from and what it is.
#
# etcd takes its settings either from the file named by --config-file (and then ignores its flags
# and ETCD_* variables) or from its command line and ETCD_* environment (a flag wins). The node
# collector records the result in `effective`, keyed by flag name, with etcd's defaults for the
# security settings. Inputs without `effective` (a static pod's mirror pod seen through the API)
# fall back to `flags`.
#
# regorus VM note: a body like `s := f(x)` whose variable is only used in the head succeeds on the
# VM even when f is undefined, so these helpers return null for "not set" and test it in the body.
package kspm.lib.etcd

import rego.v1

# {"value": …, "source": "flag"|"env"|"config"|"default", …} for the flag name `name`, or null
# when etcd was not given the setting anywhere kspm could see.
lookup(p, name) := s if {
	s := object.get(object.get(p, "effective", {}), name, null)
	s != null
} else := {"value": data.kspm.lib.node.flag(p, name), "source": "flag"} if {
	# With a config file etcd ignores its flags and ETCD_* variables.
	object.get(p, "config_path", "") == ""
	data.kspm.lib.node.has_flag(p, name)
} else := null

# True when etcd has the setting.
has(p, name) if lookup(p, name) != null

# The setting's value; undefined when not set.
value(p, name) := s.value if {
	s := lookup(p, name)
	s != null
}

# True when the setting is present with a non-empty value.
set_non_empty(p, name) if {
	s := lookup(p, name)
	s != null
	not empty(s.value)
}

# True when the setting is a true boolean (Go's ParseBool rules, or a YAML boolean).
enabled(p, name) if {
	s := lookup(p, name)
	s != null
	data.kspm.lib.node.go_bool(s.value) == true
}

# "--client-cert-auth = true (from the environment variable ETCD_CLIENT_CERT_AUTH)", or
# "--auto-tls not set (…)" when etcd has no such setting.
text(p, name) := sprintf("%s = %v (%s)", [name, s.value, source(p, s)]) if {
	s := lookup(p, name)
	s != null
	not empty(s.value)
}

text(p, name) := sprintf("%s not set (%s)", [name, source(p, s)]) if {
	s := lookup(p, name)
	s != null
	empty(s.value)
}

text(p, name) := sprintf("%s not set (%s)", [name, not_set_where(p)]) if lookup(p, name) == null

empty(v) if v == null

empty(v) if {
	is_string(v)
	trim_space(v) == ""
}

source(p, s) := sprintf("from the environment variable %s", [s.env]) if {
	s.source == "env"
	object.get(s, "env", "") != ""
} else := sprintf("from the config file %s", [p.config_path]) if {
	s.source == "config"
	object.get(p, "config_path", "") != ""
} else := "the documented default" if {
	s.source == "default"
} else := "from the mirror pod's command line" if {
	object.get(p, "source", "") == "mirror-pod"
} else := sprintf("from the %s", [s.source]) if {
	s.source != "flag"
} else := "from the command line"

not_set_where(p) := "mirror pod command line; no ETCD_* environment or config file visible" if {
	object.get(p, "source", "") == "mirror-pod"
} else := "not on the command line, in ETCD_* variables or the config file" if {
	object.get(p, "config_path", "") != ""
} else := "not on the command line or in ETCD_* variables"

# Why the rule cannot judge the setting `name`, or "" when it can: the process facts were not
# read, the config file could not be read and no flag or variable set the setting, or the
# environment could not be read and no flag sets it.
unavailable(p, name) := p.error if {
	object.get(p, "error", "") != ""
} else := sprintf("etcd config file %s could not be read: %s", [object.get(p, "config_path", "(--config-file)"), p.config_error]) if {
	data.kspm.lib.node.config_unreadable(p)
	lookup(p, name) == null
} else := sprintf("%s is not on etcd's command line, and its environment, where an ETCD_* variable could set it, could not be read (%s)", [name, p.env_error]) if {
	object.get(p, "env_error", "") != ""
	lookup(p, name) == null
} else := ""

# True when every one of `names` can be judged.
available(p, names) if count([n | some n in names; unavailable(p, n) != ""]) == 0

# The error finding for a rule that needs `names` when one of them is unavailable.
error_finding(p, names) := {
	"evaluation": "error",
	"evidence": {"error": reasons[0], "settings": names},
} if {
	reasons := [r | some n in names; r := unavailable(p, n); r != ""]
	count(reasons) > 0
}

# Where an etcd setting is changed, for evidence and remediation: the config file when etcd has
# one; the ETCD_* environment when that is how this etcd is configured; else its command line,
# which lives in a static pod manifest on kubeadm clusters.
change_in(p) := sprintf("the config file %s, or the etcd command line", [p.config_path]) if {
	object.get(p, "config_path", "") != ""
} else := "the etcd static pod manifest (kubeadm: /etc/kubernetes/manifests/etcd.yaml)" if {
	object.get(p, "source", "") == "mirror-pod"
} else := "the ETCD_* environment of the etcd service (its systemd unit or environment file), or its command line" if {
	env_configured(p)
} else := "the etcd command line: its static pod manifest (kubeadm: /etc/kubernetes/manifests/etcd.yaml) or its service unit"

# Some setting of this etcd comes from an ETCD_* variable. (A separate function: regorus' VM
# does not run a `some` loop inside an `else` body.)
env_configured(p) if {
	some s in object.get(p, "effective", {})
	s.source == "env"
}
