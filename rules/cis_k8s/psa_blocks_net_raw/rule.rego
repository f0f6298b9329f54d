# CIS 5.2.8: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_net_raw

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "restricted", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	not namespaces.windows_spec(pods.spec(w))
	names := [c.name | some c in pods.containers(pods.spec(w)); keeps_net_raw(c.container)]
	count(names) > 0
}

keeps_net_raw(c) if count(namespaces.capabilities(c, "drop") & {"ALL", "NET_RAW"}) == 0

keeps_net_raw(c) if count(namespaces.capabilities(c, "add") & {"ALL", "NET_RAW"}) > 0
