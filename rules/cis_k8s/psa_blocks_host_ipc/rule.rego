# CIS 5.2.4: the namespace enforces Pod Security "baseline" (or a policy engine may stand in).
package kspm.rules.psa_blocks_host_ipc

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "baseline", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref(obj) if {
	some w in data.kspm.lib.namespaces.input_workloads
	w.spec.hostIPC == true
	some obj in w.objects
}
