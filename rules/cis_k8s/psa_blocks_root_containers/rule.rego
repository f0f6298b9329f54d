# CIS 5.2.7: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_root_containers

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "restricted", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(obj, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	not w.windows
	pod_sc := w.pod_sc
	names := [c.name |
		some c in w.containers
		may_run_as_root(c.sc, pod_sc)
	]
	count(names) > 0
	some obj in w.objects
}

may_run_as_root(sc, pod_sc) if data.kspm.lib.namespaces.field(sc, "runAsNonRoot", data.kspm.lib.namespaces.field(pod_sc, "runAsNonRoot", false)) != true

may_run_as_root(sc, pod_sc) if data.kspm.lib.namespaces.field(sc, "runAsUser", data.kspm.lib.namespaces.field(pod_sc, "runAsUser", 1)) == 0
