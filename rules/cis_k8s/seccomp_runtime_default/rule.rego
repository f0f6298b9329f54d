# CIS 5.6.2: every container runs with the RuntimeDefault (or a Localhost) seccomp profile.
package kspm.rules.seccomp_runtime_default

import rego.v1

# The pod facts come from kspm.lib.pss: rules, so they are computed once per object and shared
# with every other pod-spec rule (each container's `sc` is its securityContext, {} when unset).
applicable if {
	data.kspm.lib.pods.target
	not data.kspm.lib.pss.windows
}

# The profile type of a security context; "not set" when it has none (null counts as unset).
profile_type(sc) := t if {
	t := sc.seccompProfile.type
	t != null
} else := "not set"

pod_profile := profile_type(data.kspm.lib.pss.pod_security_context)

confined := {"RuntimeDefault", "Localhost"}

# The container's own profile wins over the pod's.
effective(own) := pod_profile if own == "not set"

else := own

unconfined contains sprintf("%s: %s", [c.name, profile]) if {
	some c in data.kspm.lib.pss.containers
	profile := effective(profile_type(c.sc))
	not profile in confined
}

evidence := {
	"pod_profile": pod_profile,
	"containers_without_profile": sort(unconfined),
}

expected := {"seccompProfile.type": "RuntimeDefault or Localhost, on the pod or on every container"}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	count(unconfined) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	count(unconfined) == 0
}
