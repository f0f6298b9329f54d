# PSS Restricted: a seccomp profile (RuntimeDefault or Localhost) must be set on the pod, or on
# every container that the pod-level profile does not cover (Linux pods).
package kspm.rules.pss_seccomp_restricted

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

pod_profile := pss.field(pss.pod_security_context, "seccompProfile")

pod_type := pss.profile_type(pod_profile) if is_object(pod_profile)

pod_ok if pod_type in pss.allowed_profile_types

pod_violation := {"securityContext.seccompProfile.type": pod_type} if {
	not pss.windows
	not pod_ok
	is_string(pod_type)
} else := {}

container_violations contains pss.container_evidence(c, {"seccompProfile.type": t}) if {
	not pss.windows
	some c in pss.containers
	t := container_type(pss.field(pss.security_context(c), "seccompProfile"))
	not t in pss.allowed_profile_types
}

# The container's own profile type; null when it sets none and the pod gives no valid default.
container_type(profile) := pss.profile_type(profile) if is_object(profile)

container_type(profile) := null if {
	not is_object(profile)
	not pod_ok
}

finding := pss.result(
	container_violations | pss.present(pod_violation),
	{"os": pss.os, "pod": {"securityContext.seccompProfile.type": object.get(pss.as_object(pod_profile), "type", null)}, "containers": container_violations},
	{"seccompProfile.type": "RuntimeDefault or Localhost on the pod, or on every container (Windows pods are exempt)"},
) if pods.target
