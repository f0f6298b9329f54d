# PSS Restricted: neither the pod nor a container may set runAsUser: 0. Policy v1.35+ skips pods
# in a user namespace (hostUsers: false).
package kspm.rules.pss_run_as_user

import rego.v1

pod_violation := {"securityContext.runAsUser": 0} if {
	not data.kspm.lib.pss.user_namespace
	data.kspm.lib.pss.pod_security_context.runAsUser == 0
} else := {}

container_violations contains {"name": c.name, "type": c.type, "runAsUser": 0} if {
	not data.kspm.lib.pss.user_namespace
	some c in data.kspm.lib.pss.containers
	c.sc.runAsUser == 0
}

finding := data.kspm.lib.pss.result(
	count(pod_violation) + count(container_violations),
	{"hostUsers": data.kspm.lib.pss.host_users, "pod": pod_violation, "containers": container_violations},
	{"runAsUser": "unset or non-zero on the pod and every container; not checked when hostUsers is false"},
) if data.kspm.lib.pods.target
