# CIS 5.2.7: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_root_containers

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "restricted", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(w.object, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	not data.kspm.lib.namespaces.windows_spec(w.spec)
	spec := w.spec
	pod_sc := data.kspm.lib.namespaces.field(spec, "securityContext", {})
	names := [c.name |
		some c in w.containers
		may_run_as_root(data.kspm.lib.namespaces.field(c.container, "securityContext", {}), pod_sc)
	]
	count(names) > 0
}

may_run_as_root(sc, pod_sc) if data.kspm.lib.namespaces.field(sc, "runAsNonRoot", data.kspm.lib.namespaces.field(pod_sc, "runAsNonRoot", false)) != true

may_run_as_root(sc, pod_sc) if data.kspm.lib.namespaces.field(sc, "runAsUser", data.kspm.lib.namespaces.field(pod_sc, "runAsUser", 1)) == 0
