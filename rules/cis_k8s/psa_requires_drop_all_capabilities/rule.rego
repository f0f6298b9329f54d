# CIS 5.2.9: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_requires_drop_all_capabilities

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "restricted", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(obj, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	not w.windows
	names := [c.name | some c in w.containers; too_many_caps(c)]
	count(names) > 0
	some obj in w.objects
}

# `c` is a container entry of the workload index, with its capabilities as sets.
too_many_caps(c) if not "ALL" in c.drop

too_many_caps(c) if count(c.add - {"NET_BIND_SERVICE"}) > 0
