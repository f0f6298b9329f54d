# PSS Restricted: containers must be required to run as a non-root user (runAsNonRoot: true on the
# pod or on every container). Policy v1.35+ skips pods in a user namespace (hostUsers: false).
package kspm.rules.pss_run_as_non_root

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

pod_value := pss.field(pss.pod_security_context, "runAsNonRoot")

pod_violation := {"securityContext.runAsNonRoot": false} if {
	not pss.user_namespace
	pod_value == false
} else := {}

# A container breaks the rule when it sets false itself, or when it sets nothing and the pod does
# not set true.
container_violations contains pss.container_evidence(c, {"runAsNonRoot": value}) if {
	not pss.user_namespace
	some c in pss.containers
	value := pss.field(pss.security_context(c), "runAsNonRoot")
	value != true
	not inherits_true(value)
}

inherits_true(value) if {
	not is_boolean(value)
	pod_value == true
}

finding := pss.result(
	container_violations | pss.present(pod_violation),
	{
		"hostUsers": pss.field(pss.spec, "hostUsers"),
		"pod": {"securityContext.runAsNonRoot": pod_value},
		"containers": container_violations,
	},
	{"runAsNonRoot": "true on the pod (containers unset or true) or true on every container; not checked when hostUsers is false"},
) if pods.target
