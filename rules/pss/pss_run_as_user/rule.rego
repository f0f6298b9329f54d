# PSS Restricted: neither the pod nor a container may set runAsUser: 0. Policy v1.35+ skips pods
# in a user namespace (hostUsers: false).
package kspm.rules.pss_run_as_user

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

pod_violation := {"securityContext.runAsUser": 0} if {
	not pss.user_namespace
	pss.pod_security_context.runAsUser == 0
} else := {}

container_violations contains pss.container_evidence(c, {"runAsUser": 0}) if {
	not pss.user_namespace
	some c in pss.containers
	pss.security_context(c).runAsUser == 0
}

finding := pss.result(
	container_violations | pss.present(pod_violation),
	{"hostUsers": pss.field(pss.spec, "hostUsers"), "pod": pod_violation, "containers": container_violations},
	{"runAsUser": "unset or non-zero on the pod and every container; not checked when hostUsers is false"},
) if pods.target
