# PSS Restricted: a seccomp profile (RuntimeDefault or Localhost) must be set on the pod, or on
# every container that the pod-level profile does not cover (Linux pods).
package kspm.rules.pss_seccomp_restricted

import rego.v1

# The pod-level type: null when no profile is set, "" when a profile has no type.
pod_type := object.get(data.kspm.lib.pss.pod_security_context.seccompProfile, "type", "") if {
	is_object(data.kspm.lib.pss.pod_security_context.seccompProfile)
} else := null

pod_ok := pod_type in data.kspm.lib.pss.allowed_profile_types

pod_violation := {"securityContext.seccompProfile.type": pod_type} if {
	not data.kspm.lib.pss.windows
	pod_type != null
	not pod_ok
} else := {}

# A container breaks the rule with a profile of a refused type, or with no profile while the pod
# has no valid one either.
container_violations contains {"name": c.name, "type": c.type, "seccompProfile.type": t} if {
	not data.kspm.lib.pss.windows
	some c in data.kspm.lib.pss.containers
	is_object(c.sc.seccompProfile)
	t := object.get(c.sc.seccompProfile, "type", "")
	not t in data.kspm.lib.pss.allowed_profile_types
}

container_violations contains {"name": c.name, "type": c.type, "seccompProfile.type": null} if {
	not data.kspm.lib.pss.windows
	not pod_ok
	some c in data.kspm.lib.pss.containers
	not is_object(c.sc.seccompProfile)
}

finding := data.kspm.lib.pss.result(
	count(pod_violation) + count(container_violations),
	{"windows": data.kspm.lib.pss.windows, "pod": {"securityContext.seccompProfile.type": pod_type}, "containers": container_violations},
	{"seccompProfile.type": "RuntimeDefault or Localhost on the pod, or on every container (Windows pods are exempt)"},
) if data.kspm.lib.pods.target
