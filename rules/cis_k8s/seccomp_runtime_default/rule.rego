# CIS 5.6.2: every container runs with the RuntimeDefault (or a Localhost) seccomp profile.
package kspm.rules.seccomp_runtime_default

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

spec := pods.target_spec

applicable if {
	pods.target
	not namespaces.windows_spec(spec)
}

profile_type(sc) := namespaces.field(namespaces.field(namespaces.field(sc, "securityContext", {}), "seccompProfile", {}), "type", "not set")

pod_profile := profile_type(spec)

confined := {"RuntimeDefault", "Localhost"}

# The container's own profile wins over the pod's.
effective(c) := t if {
	t := profile_type(c.container)
	t != "not set"
}

effective(c) := pod_profile if profile_type(c.container) == "not set"

unconfined contains sprintf("%s: %s", [c.name, effective(c)]) if {
	some c in pods.containers(spec)
	not effective(c) in confined
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
