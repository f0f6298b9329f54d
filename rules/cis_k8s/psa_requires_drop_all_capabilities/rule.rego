# CIS 5.2.9: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_requires_drop_all_capabilities

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "restricted", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(w.object, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	not data.kspm.lib.namespaces.windows_spec(w.spec)
	names := [c.name | some c in w.containers; too_many_caps(c.container)]
	count(names) > 0
}

too_many_caps(c) if not "ALL" in data.kspm.lib.namespaces.capabilities(c, "drop")

too_many_caps(c) if count(data.kspm.lib.namespaces.capabilities(c, "add") - {"NET_BIND_SERVICE"}) > 0
