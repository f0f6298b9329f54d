# PSS Baseline: seccomp must not be explicitly disabled (Unconfined) on the pod or a container.
package kspm.rules.pss_seccomp_baseline

import rego.v1

# A profile that is set must name an allowed type; a profile without a type is refused too.
pod_violation := {"securityContext.seccompProfile.type": t} if {
	is_object(data.kspm.lib.pss.pod_security_context.seccompProfile)
	t := object.get(data.kspm.lib.pss.pod_security_context.seccompProfile, "type", "")
	not t in data.kspm.lib.pss.allowed_profile_types
} else := {}

container_violations contains {"name": c.name, "type": c.type, "seccompProfile.type": t} if {
	some c in data.kspm.lib.pss.containers
	is_object(c.sc.seccompProfile)
	t := object.get(c.sc.seccompProfile, "type", "")
	not t in data.kspm.lib.pss.allowed_profile_types
}

finding := data.kspm.lib.pss.result(
	count(pod_violation) + count(container_violations),
	{"pod": pod_violation, "containers": container_violations},
	{"seccompProfile.type": "unset, RuntimeDefault or Localhost (pod and containers)"},
) if data.kspm.lib.pods.target
