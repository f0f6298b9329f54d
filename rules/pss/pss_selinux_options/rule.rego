# PSS Baseline: SELinux options may only pick one of the standard container types; the user and
# role must not be set.
package kspm.rules.pss_selinux_options

import rego.v1

allowed_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# The offending fields of a seLinuxOptions object; {} when it is acceptable. Only called for
# objects that are actually set, so the common case costs nothing.
offending(opts) := {k: v |
	some k, v in opts
	bad(k, v)
}

bad("type", v) if {
	v != null
	not v in allowed_types
}

bad("user", v) if not v in {"", null}

bad("role", v) if not v in {"", null}

pod_violation := offending(data.kspm.lib.pss.pod_security_context.seLinuxOptions) if {
	is_object(data.kspm.lib.pss.pod_security_context.seLinuxOptions)
} else := {}

container_violations contains {"name": c.name, "type": c.type, "seLinuxOptions": fields} if {
	some c in data.kspm.lib.pss.containers
	is_object(c.sc.seLinuxOptions)
	fields := offending(c.sc.seLinuxOptions)
	count(fields) > 0
}

finding := data.kspm.lib.pss.result(
	count(pod_violation) + count(container_violations),
	{"pod": pod_violation, "containers": container_violations},
	{
		"seLinuxOptions.type": sort(allowed_types),
		"seLinuxOptions.user": "unset or empty",
		"seLinuxOptions.role": "unset or empty",
	},
) if data.kspm.lib.pods.target
