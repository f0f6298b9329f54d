# CIS 5.2.9: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_requires_drop_all_capabilities

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "restricted", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	not namespaces.windows_spec(pods.spec(w))
	names := [c.name | some c in pods.containers(pods.spec(w)); too_many_caps(c.container)]
	count(names) > 0
}

too_many_caps(c) if not "ALL" in namespaces.capabilities(c, "drop")

too_many_caps(c) if count(namespaces.capabilities(c, "add") - {"NET_BIND_SERVICE"}) > 0
