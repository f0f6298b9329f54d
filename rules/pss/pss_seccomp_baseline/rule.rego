# PSS Baseline: seccomp must not be explicitly disabled (Unconfined) on the pod or a container.
package kspm.rules.pss_seccomp_baseline

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

bad_type(profile) := t if {
	is_object(profile)
	t := pss.profile_type(profile)
	not t in pss.allowed_profile_types
}

pod_violation := {"securityContext.seccompProfile.type": t} if {
	t := bad_type(pss.pod_security_context.seccompProfile)
} else := {}

container_violations contains pss.container_evidence(c, {"seccompProfile.type": t}) if {
	some c in pss.containers
	t := bad_type(pss.security_context(c).seccompProfile)
}

finding := pss.result(
	container_violations | pss.present(pod_violation),
	{"pod": pod_violation, "containers": container_violations},
	{"seccompProfile.type": "unset, RuntimeDefault or Localhost (pod and containers)"},
) if pods.target
