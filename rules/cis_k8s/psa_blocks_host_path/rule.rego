# CIS 5.2.11: the namespace enforces Pod Security "baseline" (or a policy engine may stand in).
package kspm.rules.psa_blocks_host_path

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "baseline", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	names := [sprintf("volume %s: %s", [v.name, v.hostPath.path]) | some v in namespaces.field(pods.spec(w), "volumes", []); v.hostPath]
	count(names) > 0
}
