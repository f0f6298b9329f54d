# PSS Restricted: containers must be required to run as a non-root user (runAsNonRoot: true on the
# pod or on every container). Policy v1.35+ skips pods in a user namespace (hostUsers: false).
package kspm.rules.pss_run_as_non_root

import rego.v1

pod_value := object.get(data.kspm.lib.pss.pod_security_context, "runAsNonRoot", null)

pod_violation := {"securityContext.runAsNonRoot": false} if {
	not data.kspm.lib.pss.user_namespace
	pod_value == false
} else := {}

# A container breaks the rule when it sets false itself, or when it sets nothing (or null) and
# the pod does not set true.
container_violations contains {"name": c.name, "type": c.type, "runAsNonRoot": false} if {
	not data.kspm.lib.pss.user_namespace
	some c in data.kspm.lib.pss.containers
	c.sc.runAsNonRoot == false
}

container_violations contains {"name": c.name, "type": c.type, "runAsNonRoot": null} if {
	not data.kspm.lib.pss.user_namespace
	pod_value != true
	some c in data.kspm.lib.pss.containers
	not is_boolean(c.sc.runAsNonRoot)
}

finding := data.kspm.lib.pss.result(
	count(pod_violation) + count(container_violations),
	{
		"hostUsers": data.kspm.lib.pss.host_users,
		"pod": {"securityContext.runAsNonRoot": pod_value},
		"containers": container_violations,
	},
	{"runAsNonRoot": "true on the pod (containers unset or true) or true on every container; not checked when hostUsers is false"},
) if data.kspm.lib.pods.target
