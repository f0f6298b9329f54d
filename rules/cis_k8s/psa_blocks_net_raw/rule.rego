# CIS 5.2.8: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_net_raw

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "restricted", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(obj, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	not w.windows
	names := [c.name | some c in w.containers; keeps_net_raw(c)]
	count(names) > 0
	some obj in w.objects
}

# `c` is a container entry of the workload index, with its capabilities as sets.
keeps_net_raw(c) if count(c.drop & {"ALL", "NET_RAW"}) == 0

keeps_net_raw(c) if count(c.add & {"ALL", "NET_RAW"}) > 0
