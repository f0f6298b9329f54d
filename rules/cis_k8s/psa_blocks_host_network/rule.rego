# CIS 5.2.5: the namespace enforces Pod Security "baseline" (or a policy engine may stand in).
package kspm.rules.psa_blocks_host_network

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "baseline", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref(w) if {
	some w in namespaces.input_workloads
	pods.spec(w).hostNetwork == true
}
