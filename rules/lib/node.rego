# Helpers for node rules: process flags, typed values (Go's parsing rules), file modes and owners.
# The input layout is in rules/README.md ("Node resources").
package kspm.lib.node

import rego.v1

# ---------------------------------------------------------------- process flags

# True when the process was started with the flag (any value, also an empty one).
has_flag(p, name) if count(object.get(object.get(p, "flags", {}), name, [])) > 0

# The flag's value; the last occurrence wins, as in Go's flag package. Undefined when absent.
flag(p, name) := v if {
	values := object.get(object.get(p, "flags", {}), name, [])
	count(values) > 0
	v := values[count(values) - 1]
}

# Every comma-separated item of every occurrence of a list flag, trimmed, empty items dropped.
flag_list(p, name) := [trim_space(item) |
	some v in object.get(object.get(p, "flags", {}), name, [])
	some item in split(v, ",")
	trim_space(item) != ""
]

# The flag's value, or `default_value` when the flag is absent.
flag_or(p, name, default_value) := v if v := flag(p, name)

flag_or(p, name, default_value) := default_value if not has_flag(p, name)

# "kube-apiserver --profiling=false" style rendering of what was seen, for evidence.
flag_text(p, name) := sprintf("%s=%s", [name, flag(p, name)])

flag_text(p, name) := sprintf("%s not set", [name]) if not has_flag(p, name)

# The value of `key` in a `--feature-gates` style list (`A=true,B=false`), as a boolean. When
# the gate is named more than once, the last mention wins (as in pflag's map flags).
feature_gate(p, flag_name, key) := go_bool(values[count(values) - 1]) if {
	values := [trim_space(kv[1]) |
		some item in flag_list(p, flag_name)
		kv := split(item, "=")
		count(kv) == 2
		trim_space(kv[0]) == key
	]
	count(values) > 0
}

# ---------------------------------------------------------------- effective settings

# A setting merged from flag, config file and documented default (kubelet, etcd, kube-proxy):
# {"value": …, "source": "flag"|"config"|"env"|"default", …}. Undefined when the collector
# recorded nothing for the key.
setting(p, key) := s if s := p.effective[key]

# The setting's value, undefined when unknown.
setting_value(p, key) := s.value if s := setting(p, key)

# "authentication.anonymous.enabled = false (from the config file /var/lib/kubelet/config.yaml)"
setting_text(p, key) := sprintf("%s = %v (%s)", [key, s.value, source_text(p, s)]) if s := setting(p, key)

source_text(p, s) := sprintf("from the flag %s", [s.flag]) if s.source == "flag"

source_text(p, s) := sprintf("from the config file %s", [p.config_path]) if s.source == "config"

source_text(p, s) := sprintf("from the environment variable %s", [s.env]) if s.source == "env"

source_text(p, s) := "the documented default" if s.source == "default"

# True when the config file named by --config could not be read or parsed: rules that depend on
# it must report an error rather than trust defaults.
config_unreadable(p) if object.get(p, "config_error", "") != ""

# ---------------------------------------------------------------- typed values

# Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False; booleans as they are.
go_bool(v) := v if is_boolean(v)

go_bool(v) := true if v in {"1", "t", "T", "TRUE", "true", "True"}

go_bool(v) := false if v in {"0", "f", "F", "FALSE", "false", "False"}

# An integer from a number or a (quoted) decimal string; undefined otherwise.
int_value(v) := v if is_number(v)

int_value(v) := to_number(trim_space(v)) if {
	is_string(v)
	regex.match(`^[ \t]*[-+]?[0-9]+[ \t]*$`, v)
}

# Seconds in a Go duration ("5m0s", "1h30m", "300ms", "0s", "4h0m0s"); a bare number is taken as
# seconds. Undefined when the text is not a duration.
duration_seconds(v) := v if is_number(v)

duration_seconds(v) := 0 if v in {"0", "-0", "+0"}

duration_seconds(v) := total if {
	is_string(v)
	regex.match(`^[+-]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`, v)
	sign := _sign(v)
	parts := regex.find_all_string_submatch_n(`([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)`, v, -1)
	seconds := [x |
		some part in parts
		x := to_number(part[1]) * _unit[part[2]]
	]
	total := sign * sum(seconds)
}

_sign(v) := -1 if startswith(v, "-")

_sign(v) := 1 if not startswith(v, "-")

_unit := {"ns": 0.000000001, "us": 0.000001, "µs": 0.000001, "μs": 0.000001, "ms": 0.001, "s": 1, "m": 60, "h": 3600}

# ---------------------------------------------------------------- files

# True when the file resource has `role` (why the collector looked at it; see rules/README.md).
has_role(f, role) if role in object.get(f, "roles", [])

# The facts that mode and owner checks use: a symlink's target, the file itself otherwise.
subject(f) := f.target if f.kind == "symlink"

subject(f) := f if f.kind != "symlink"

# True when `bits` grants nothing outside `limit` (both numbers, e.g. 420 and 384).
mode_within(bits, limit) if bits.and(bits, bits.negate(limit)) == 0

# The permission bits granted beyond `limit`, as an octal string ("0044"); for evidence.
mode_excess(bits, limit) := octal(bits.and(bits, bits.negate(limit)))

# Permission bits as a four-digit octal string (420 -> "0644"). (regorus's %o verb adds a prefix.)
octal(bits) := sprintf("%d%d%d%d", [
	bits.and(bits.rsh(bits, 9), 7),
	bits.and(bits.rsh(bits, 6), 7),
	bits.and(bits.rsh(bits, 3), 7),
	bits.and(bits, 7),
])

# True when the file (or symlink target) could not be examined; the rule reports an error.
unreadable(f) if object.get(f, "error", "") != ""

unreadable(f) if {
	object.get(f, "error", "") == ""
	f.kind == "symlink"
	object.get(f.target, "error", "") != ""
}

# "root:root", with numeric ids where the host's passwd/group has no name.
owner_text(f) := sprintf("%s:%s", [object.get(f, "owner", sprintf("%d", [f.uid])), object.get(f, "group", sprintf("%d", [f.gid]))])

# A standard error finding for a file the rule needs but could not examine.
file_error(f) := {
	"evaluation": "error",
	"evidence": {"path": f.path, "error": sprintf("%s: %s", [f.path, _error_of(f)])},
}

_error_of(f) := f.error if object.get(f, "error", "") != ""

_error_of(f) := sprintf("symlink target %s: %s", [f.link_target, f.target.error]) if object.get(f, "error", "") == ""
