# CIS 5.2.9: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_requires_drop_all_capabilities

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "restricted", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	not windows(w)
	names := [c.name | some c in pods.containers(pods.spec(w)); too_many_caps(c.container)]
	count(names) > 0
}

caps(c, field) := {upper(trim_prefix(upper(x), "CAP_")) | some x in object.get(object.get(object.get(c, "securityContext", {}), "capabilities", {}), field, [])}

too_many_caps(c) if not "ALL" in caps(c, "drop")

too_many_caps(c) if count(caps(c, "add") - {"NET_BIND_SERVICE"}) > 0

windows(w) if pods.spec(w).os.name == "windows"
