# Helpers for the control-plane flag rules (CIS 1.2 API server, 1.3 controller manager, 1.4
# scheduler): where a flag was read, typed flag checks that return whole findings, admission
# plugins, the authorizer chain, TLS cipher suites and encryption at rest.
# Inputs are `process` resources (rules/README.md, "Node resources"); `p` is `input.resource`.
package kspm.lib.apiserver

import rego.v1

# ---------------------------------------------------------------- the process

# True when the process was seen but its command line could not be read.
unreadable(p) if object.get(p, "error", "") != ""

readable(p) if not unreadable(p)

# The error finding for a process whose command line could not be read.
process_error(p) := {
	"evaluation": "error",
	"evidence": {"error": sprintf("%s: the command line could not be read: %s", [object.get(p, "component", "process"), p.error])},
}

# True when the flags come from the static pod's mirror pod (the API), not from the node.
from_mirror_pod(p) if object.get(p, "source", "proc") == "mirror-pod"

# Where the flags were read, for evidence.
origin(p) := sprintf("the command of the %s mirror pod (read through the Kubernetes API)", [p.component]) if from_mirror_pod(p)

origin(p) := sprintf("the %s command line (pid %v)", [p.component, p.pid]) if {
	not from_mirror_pod(p)
	object.get(p, "pid", null) != null
}

origin(p) := sprintf("the %s command line", [p.component]) if {
	not from_mirror_pod(p)
	object.get(p, "pid", null) == null
}

# "--profiling=true", or "--profiling not set (default: true)".
observed(p, name, default_text) := data.kspm.lib.node.flag_text(p, name) if data.kspm.lib.node.has_flag(p, name)

observed(p, name, default_text) := sprintf("%s not set (default: %s)", [name, default_text]) if not data.kspm.lib.node.has_flag(p, name)

status(true) := "passed"

status(false) := "failed"

# ---------------------------------------------------------------- boolean flags

_parses_as_bool(v) if is_boolean(data.kspm.lib.node.go_bool(v))

# The flag as a boolean: its value when set, `default_value` when absent; undefined when the
# value is not a Go boolean.
bool_value(p, name, default_value) := data.kspm.lib.node.go_bool(data.kspm.lib.node.flag(p, name)) if data.kspm.lib.node.has_flag(p, name)

bool_value(p, name, default_value) := default_value if not data.kspm.lib.node.has_flag(p, name)

# A finding for "the boolean flag `name` (default `default_value`) must be `want`".
bool_flag_finding(p, name, default_value, want) := {
	"evaluation": status(ok),
	"evidence": {
		"flag": name,
		"setting": observed(p, name, sprintf("%v", [default_value])),
		"effective_value": v,
		"read_from": origin(p),
	},
	"expected": {name: want},
} if {
	v := bool_value(p, name, default_value)
	ok := v == want
}

bool_flag_finding(p, name, default_value, want) := {
	"evaluation": "error",
	"evidence": {
		"error": sprintf("%s=%s is not a boolean", [name, data.kspm.lib.node.flag(p, name)]),
		"setting": data.kspm.lib.node.flag_text(p, name),
		"read_from": origin(p),
	},
} if {
	data.kspm.lib.node.has_flag(p, name)
	not _parses_as_bool(data.kspm.lib.node.flag(p, name))
}

# ---------------------------------------------------------------- path flags

# True when the flag is set to something other than blanks.
set_non_empty(p, name) if trim_space(data.kspm.lib.node.flag(p, name)) != ""

# A finding for "every flag in `names` is set to a file path".
path_flags_finding(p, names) := {
	"evaluation": status(ok),
	"evidence": {
		"settings": [_path_text(p, name) | some name in names],
		"missing": missing,
		"read_from": origin(p),
	},
	"expected": {name: "path to a file" | some name in names},
} if {
	missing := [name | some name in names; not set_non_empty(p, name)]
	ok := count(missing) == 0
}

_path_text(p, name) := data.kspm.lib.node.flag_text(p, name) if set_non_empty(p, name)

_path_text(p, name) := sprintf("%s not set", [name]) if not data.kspm.lib.node.has_flag(p, name)

_path_text(p, name) := sprintf("%s is empty", [name]) if {
	data.kspm.lib.node.has_flag(p, name)
	not set_non_empty(p, name)
}

# ---------------------------------------------------------------- integer flags

_parses_as_int(v) if is_number(data.kspm.lib.node.int_value(v))

# A finding for "the integer flag `name` must be set and at least `minimum`"; an absent flag
# fails (`default_text` says what the binary then does).
min_int_flag_finding(p, name, minimum, default_text) := {
	"evaluation": status(ok),
	"evidence": {"flag": name, "setting": data.kspm.lib.node.flag_text(p, name), "effective_value": v, "read_from": origin(p)},
	"expected": {name: sprintf(">= %d", [minimum])},
} if {
	v := data.kspm.lib.node.int_value(data.kspm.lib.node.flag(p, name))
	ok := v >= minimum
}

min_int_flag_finding(p, name, minimum, default_text) := {
	"evaluation": "failed",
	"evidence": {"flag": name, "setting": observed(p, name, default_text), "read_from": origin(p)},
	"expected": {name: sprintf(">= %d", [minimum])},
} if not data.kspm.lib.node.has_flag(p, name)

min_int_flag_finding(p, name, minimum, default_text) := int_error(p, name) if {
	data.kspm.lib.node.has_flag(p, name)
	not _parses_as_int(data.kspm.lib.node.flag(p, name))
}

int_error(p, name) := {
	"evaluation": "error",
	"evidence": {
		"error": sprintf("%s=%s is not an integer", [name, data.kspm.lib.node.flag(p, name)]),
		"setting": data.kspm.lib.node.flag_text(p, name),
		"read_from": origin(p),
	},
}

# ---------------------------------------------------------------- bind address

# True for an address that only the node itself can reach (127.0.0.0/8, ::1).
loopback(addr) if regex.match(`^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$`, trim_space(addr))

loopback(addr) if trim_space(addr) in {"::1", "0:0:0:0:0:0:0:1"}

# True when the component serves no HTTPS at all (`--secure-port=0`).
serving_disabled(p) if data.kspm.lib.node.int_value(data.kspm.lib.node.flag(p, "--secure-port")) == 0

# A finding for "the component's --bind-address is a loopback address" (kube-controller-manager,
# kube-scheduler: their flag default is 0.0.0.0, every interface).
bind_address_finding(p) := {
	"evaluation": status(ok),
	"evidence": {
		"flag": "--bind-address",
		"setting": observed(p, "--bind-address", "0.0.0.0, every interface"),
		"loopback_only": ok,
		"read_from": origin(p),
	},
	"expected": {"--bind-address": "127.0.0.1"},
} if {
	not serving_disabled(p)
	ok := _is_loopback_flag(p)
}

bind_address_finding(p) := {
	"evaluation": "passed",
	"evidence": {
		"flag": "--bind-address",
		"setting": "--secure-port=0: the component serves no HTTPS endpoint at all",
		"loopback_only": true,
		"read_from": origin(p),
	},
	"expected": {"--bind-address": "127.0.0.1"},
} if serving_disabled(p)

_is_loopback_flag(p) if loopback(data.kspm.lib.node.flag(p, "--bind-address"))

_is_loopback_flag(p) := false if not loopback(data.kspm.lib.node.flag(p, "--bind-address"))

# ---------------------------------------------------------------- admission plugins

# The plugins kube-apiserver enables when --enable-admission-plugins / --disable-admission-plugins
# do not say otherwise (kube-apiserver reference, v1.34/v1.35).
default_plugins := {
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "TaintNodesByCondition", "PodSecurity",
	"Priority", "DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection",
	"PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval", "CertificateSigning",
	"ClusterTrustBundleAttest", "CertificateSubjectRestriction", "DefaultIngressClass",
	"PodTopologyLabels", "NodeDeclaredFeatureValidator", "MutatingAdmissionPolicy",
	"MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook",
	"ResourceQuota",
}

# The deprecated --admission-control flag replaces the whole set: what it lists is on, the rest
# off (the API server refuses it together with the newer flags).
uses_legacy_admission(p) if data.kspm.lib.node.has_flag(p, "--admission-control")

enabled_plugins(p) := {x | some x in data.kspm.lib.node.flag_list(p, "--admission-control")} if uses_legacy_admission(p)

enabled_plugins(p) := ({x | some x in data.kspm.lib.node.flag_list(p, "--enable-admission-plugins")} | default_plugins) - {x | some x in data.kspm.lib.node.flag_list(p, "--disable-admission-plugins")} if {
	not uses_legacy_admission(p)
}

plugin_enabled(p, name) if name in enabled_plugins(p)

# True/false form of plugin_enabled, for evidence.
plugin_state(p, name) := true if plugin_enabled(p, name)

plugin_state(p, name) := false if not plugin_enabled(p, name)

# Evidence for an admission plugin rule.
plugin_evidence(p, name) := object.union(
	{
		"plugin": name,
		"enabled": plugin_state(p, name),
		"enable_admission_plugins": data.kspm.lib.node.flag_list(p, "--enable-admission-plugins"),
		"disable_admission_plugins": data.kspm.lib.node.flag_list(p, "--disable-admission-plugins"),
		"on_by_default": _on_by_default(name),
		"read_from": origin(p),
	},
	_legacy_evidence(p),
)

_on_by_default(name) := true if name in default_plugins

_on_by_default(name) := false if not name in default_plugins

_legacy_evidence(p) := {"admission_control": data.kspm.lib.node.flag_list(p, "--admission-control")} if uses_legacy_admission(p)

_legacy_evidence(p) := {} if not uses_legacy_admission(p)

# A finding for "plugin `name` must be on" (`want` true) or "must be off" (`want` false).
plugin_finding(p, name, want) := {
	"evaluation": status(ok),
	"evidence": plugin_evidence(p, name),
	"expected": {"plugin": name, "enabled": want},
} if {
	ok := plugin_state(p, name) == want
}

# ---------------------------------------------------------------- files named by flags

# What the collector read from the file a flag names: {"path", "content"} or {"path", "error"};
# {} when nothing was collected (mirror-pod input, or a file kspm does not read).
referenced(p, flag_name) := object.get(object.get(p, "referenced", {}), flag_name, {})

referenced_error(p, flag_name) if object.get(referenced(p, flag_name), "error", "") != ""

has_content(p, flag_name) if {
	not referenced_error(p, flag_name)
	"content" in object.keys(referenced(p, flag_name))
}

# The error finding for a file a flag names that could not be read or parsed.
referenced_file_error(p, flag_name) := {
	"evaluation": "error",
	"evidence": {
		"error": sprintf("%s %s: %s", [flag_name, object.get(referenced(p, flag_name), "path", data.kspm.lib.node.flag(p, flag_name)), referenced(p, flag_name).error]),
		"setting": data.kspm.lib.node.flag_text(p, flag_name),
		"read_from": origin(p),
	},
}

# Why the content of a file is not available, for manual findings.
content_missing_reason(p, flag_name) := "the flags come from the mirror pod in the Kubernetes API; kspm had no access to the node's files" if from_mirror_pod(p)

content_missing_reason(p, flag_name) := sprintf("kspm did not read the file named by %s", [flag_name]) if not from_mirror_pod(p)

# ---------------------------------------------------------------- authorization

uses_authorization_config(p) if data.kspm.lib.node.has_flag(p, "--authorization-config")

# The authorizer chain: {"modes": [...], "setting": "..."}. Undefined when the chain lives in an
# --authorization-config file whose content kspm does not have (see authorization_unknown).
authorizer_chain(p) := {
	"modes": data.kspm.lib.node.flag_list(p, "--authorization-mode"),
	"setting": data.kspm.lib.node.flag_text(p, "--authorization-mode"),
} if data.kspm.lib.node.has_flag(p, "--authorization-mode")

authorizer_chain(p) := {
	"modes": ["AlwaysAllow"],
	"setting": "--authorization-mode and --authorization-config not set: the API server defaults to AlwaysAllow",
} if {
	not data.kspm.lib.node.has_flag(p, "--authorization-mode")
	not uses_authorization_config(p)
}

authorizer_chain(p) := {
	"modes": [object.get(a, "type", "") | some a in object.get(content, "authorizers", [])],
	"setting": sprintf("authorizers[].type of %s (--authorization-config)", [object.get(referenced(p, "--authorization-config"), "path", data.kspm.lib.node.flag(p, "--authorization-config"))]),
} if {
	not data.kspm.lib.node.has_flag(p, "--authorization-mode")
	uses_authorization_config(p)
	has_content(p, "--authorization-config")
	content := referenced(p, "--authorization-config").content
}

# True when the chain is configured in an --authorization-config file kspm could not see.
authorization_unknown(p) if {
	not data.kspm.lib.node.has_flag(p, "--authorization-mode")
	uses_authorization_config(p)
	not has_content(p, "--authorization-config")
	not referenced_error(p, "--authorization-config")
}

authorization_error(p) if {
	not data.kspm.lib.node.has_flag(p, "--authorization-mode")
	uses_authorization_config(p)
	referenced_error(p, "--authorization-config")
}

# The manual finding when the authorizer chain is in a structured authorization file.
authorization_manual(p, want) := {
	"evaluation": "manual",
	"evidence": {
		"setting": data.kspm.lib.node.flag_text(p, "--authorization-config"),
		"reason": sprintf("the authorizer chain is configured in the structured authorization file, and %s", [content_missing_reason(p, "--authorization-config")]),
		"to_check": sprintf("on the node, read %s and check that the authorizers[].type entries form %s", [data.kspm.lib.node.flag(p, "--authorization-config"), want]),
		"read_from": origin(p),
	},
	"expected": {"authorizers": want},
}

# ---------------------------------------------------------------- TLS cipher suites

# The allow-list of CIS Kubernetes v2.0.1 (1.2.29): TLS 1.3 suites and ECDHE key exchange with
# AES-GCM or ChaCha20-Poly1305.
strong_cipher_suites := {
	"TLS_AES_128_GCM_SHA256",
	"TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

# ---------------------------------------------------------------- encryption at rest

# Providers that write ciphertext (identity stores plain text).
encrypting_providers := {"aescbc", "aesgcm", "secretbox", "kms"}

# resources[] names that match core/v1 Secrets: the resource itself, every resource of the core
# group, every resource.
_secret_matchers := {"secrets", "*.", "*.*"}

covers_secrets(entry) if {
	some name in object.get(entry, "resources", [])
	name in _secret_matchers
}

# The resources[] entry that governs Secrets: the first that matches (earlier entries win).
secrets_entry(config) := entries[min(indexes)] if {
	entries := object.get(config, "resources", [])
	is_array(entries)
	indexes := {i | some i, entry in entries; covers_secrets(entry)}
	count(indexes) > 0
}

# The provider type of one providers[] item ({"aescbc": {...}} -> "aescbc").
provider_type(item) := name if some name, _ in item

# "kms v2 (name)" for KMS providers, the type otherwise; for evidence.
provider_label(item) := sprintf("kms %s (%s)", [object.get(item.kms, "apiVersion", "v1"), object.get(item.kms, "name", "")]) if {
	provider_type(item) == "kms"
}

provider_label(item) := provider_type(item) if provider_type(item) != "kms"

# What the API server does with Secrets, from --encryption-provider-config:
# {"state": "unset" | "error" | "unread" | "not_covered" | "covered", ...}.
secrets_encryption(p) := {"state": "unset"} if not set_non_empty(p, "--encryption-provider-config")

secrets_encryption(p) := {"state": "error"} if {
	set_non_empty(p, "--encryption-provider-config")
	referenced_error(p, "--encryption-provider-config")
}

secrets_encryption(p) := {"state": "unread"} if {
	set_non_empty(p, "--encryption-provider-config")
	not referenced_error(p, "--encryption-provider-config")
	not has_content(p, "--encryption-provider-config")
}

secrets_encryption(p) := {"state": "not_covered"} if {
	has_content(p, "--encryption-provider-config")
	set_non_empty(p, "--encryption-provider-config")
	not secrets_entry(referenced(p, "--encryption-provider-config").content)
}

secrets_encryption(p) := {
	"state": "covered",
	"providers": [provider_label(item) | some item in object.get(entry, "providers", [])],
	"first": _first_type(entry),
	"resources": object.get(entry, "resources", []),
} if {
	has_content(p, "--encryption-provider-config")
	set_non_empty(p, "--encryption-provider-config")
	entry := secrets_entry(referenced(p, "--encryption-provider-config").content)
}

_first_type(entry) := provider_type(entry.providers[0]) if count(object.get(entry, "providers", [])) > 0

_first_type(entry) := "none" if count(object.get(entry, "providers", [])) == 0

# The path of the encryption configuration, for evidence.
encryption_config_path(p) := object.get(referenced(p, "--encryption-provider-config"), "path", data.kspm.lib.node.flag(p, "--encryption-provider-config"))

# ---------------------------------------------------------------- feature gates

# The value of feature gate `key` in --feature-gates, as a boolean. pflag merges repeated
# occurrences into one map, so the last mention wins (kspm.lib.node.feature_gate returns every
# mention and conflicts when a gate is given twice with different values).
feature_gate(p, key) := data.kspm.lib.node.go_bool(values[count(values) - 1]) if {
	values := [trim_space(kv[1]) |
		some item in data.kspm.lib.node.flag_list(p, "--feature-gates")
		kv := split(item, "=")
		count(kv) == 2
		trim_space(kv[0]) == key
	]
	count(values) > 0
}
