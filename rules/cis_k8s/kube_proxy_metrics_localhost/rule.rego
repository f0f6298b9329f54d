# CIS 4.3.1: kube-proxy serves its metrics on a loopback address only.
package kspm.rules.kube_proxy_metrics_localhost

import rego.v1

p := input.resource

key := "metricsBindAddress"

default_address := "127.0.0.1:10249"

has_config if object.get(p, "config_path", "") != ""

# effective (from the collector) first; else, as kube-proxy does, the config file when there is
# one (flags are then ignored), else the flag, else the default. null when unknown.
setting := s if {
	s := object.get(object.get(p, "effective", {}), key, null)
	s != null
	not data.kspm.lib.node.config_unreadable(p)
} else := {"value": object.get(p.config, key, ""), "source": "config"} if {
	has_config
	not data.kspm.lib.node.config_unreadable(p)
	is_object(object.get(p, "config", null))
} else := {"value": data.kspm.lib.node.flag(p, "--metrics-bind-address"), "source": "flag"} if {
	not has_config
	data.kspm.lib.node.has_flag(p, "--metrics-bind-address")
} else := {"value": default_address, "source": "default"} if {
	not has_config
} else := null

# An empty value means the default, both in the config file and on the command line.
address := trim_space(sprintf("%v", [setting.value])) if {
	setting != null
	trim_space(sprintf("%v", [setting.value])) != ""
} else := default_address if setting != null

# The host part of "host:port", "[v6]:port", a bare address or a CIDR.
host := h if {
	startswith(address, "[")
	h := trim_prefix(split(address, "]")[0], "[")
} else := split(address, ":")[0] if {
	count(split(address, ":")) == 2
} else := split(address, "/")[0] if {
	count(split(address, ":")) != 2
}

loopback if host == "localhost"

loopback if startswith(host, "127.")

loopback if host in {"::1", "0:0:0:0:0:0:0:1"}

where := sprintf("from the config file %s", [p.config_path]) if setting.source == "config"
else := "from the flag --metrics-bind-address" if setting.source == "flag"
else := "the documented default" if setting.source == "default"
else := sprintf("from the %s", [setting.source])

evidence := {
	"metrics_bind_address": sprintf("%s = %s (%s)", [key, address, where]),
	"host": host_text,
	"config_file": object.get(p, "config_path", "(none)"),
}

host_text := host if host != ""

host_text := "(empty: every interface)" if host == ""

expected := {key: "127.0.0.1:10249 (or another loopback address)"}

finding := {"evaluation": "error", "evidence": {"error": p.error}} if object.get(p, "error", "") != ""

finding := {
	"evaluation": "error",
	"evidence": {"error": sprintf("kube-proxy config file %s could not be read: %s", [object.get(p, "config_path", "(--config)"), p.config_error])},
} if {
	object.get(p, "error", "") == ""
	setting == null
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	object.get(p, "error", "") == ""
	setting != null
	loopback
}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	object.get(p, "error", "") == ""
	setting != null
	not loopback
}
