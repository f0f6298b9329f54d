# CIS 5.2.7: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_root_containers

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "restricted", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	not namespaces.windows_spec(pods.spec(w))
	spec := pods.spec(w)
	pod_sc := namespaces.field(spec, "securityContext", {})
	names := [c.name |
		some c in pods.containers(spec)
		may_run_as_root(namespaces.field(c.container, "securityContext", {}), pod_sc)
	]
	count(names) > 0
}

may_run_as_root(sc, pod_sc) if namespaces.field(sc, "runAsNonRoot", namespaces.field(pod_sc, "runAsNonRoot", false)) != true

may_run_as_root(sc, pod_sc) if namespaces.field(sc, "runAsUser", namespaces.field(pod_sc, "runAsUser", 1)) == 0
