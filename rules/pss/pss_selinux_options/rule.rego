# PSS Baseline: SELinux options may only pick one of the standard container types; the user and
# role must not be set.
package kspm.rules.pss_selinux_options

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

allowed_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

text(opts, key) := v if {
	v := opts[key]
	is_string(v)
} else := ""

# The offending fields of a seLinuxOptions object; empty when it is acceptable or absent.
offending(opts) := {k: v |
	is_object(opts)
	some k in ["type", "user", "role"]
	v := text(opts, k)
	bad(k, v)
}

bad("type", v) if not v in allowed_types

bad("user", v) if v != ""

bad("role", v) if v != ""

pod_violation := offending(pss.pod_security_context.seLinuxOptions) if {
	pss.pod_security_context.seLinuxOptions
} else := {}

container_violations contains pss.container_evidence(c, {"seLinuxOptions": bad_fields}) if {
	some c in pss.containers
	bad_fields := offending(pss.security_context(c).seLinuxOptions)
	count(bad_fields) > 0
}

finding := pss.result(
	container_violations | pss.present(pod_violation),
	{"pod": pod_violation, "containers": container_violations},
	{
		"seLinuxOptions.type": sort(allowed_types),
		"seLinuxOptions.user": "unset or empty",
		"seLinuxOptions.role": "unset or empty",
	},
) if pods.target
