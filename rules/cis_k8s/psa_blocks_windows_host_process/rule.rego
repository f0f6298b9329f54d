# CIS 5.2.10: the namespace enforces Pod Security "baseline" (or a policy engine may stand in).
package kspm.rules.psa_blocks_windows_host_process

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "baseline", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref(obj) if {
	some w in data.kspm.lib.namespaces.input_workloads
	host_process(w)
	some obj in w.objects
}

host_process(w) if w.spec.securityContext.windowsOptions.hostProcess == true

host_process(w) if {
	some c in w.containers
	c.container.securityContext.windowsOptions.hostProcess == true
}
