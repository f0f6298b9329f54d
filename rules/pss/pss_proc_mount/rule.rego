# PSS Baseline: containers keep the default masked /proc, unless the pod runs in a user namespace
# (hostUsers: false), which policy v1.35+ allows to unmask it.
package kspm.rules.pss_proc_mount

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains {"name": c.name, "type": c.type, "procMount": pm} if {
	not pss.user_namespace
	some c in pss.containers
	pm := c.sc.procMount
	is_string(pm)
	pm != "Default"
}

finding := pss.result(
	count(violations),
	{"hostUsers": pss.host_users, "containers": violations},
	{"securityContext.procMount": "unset or Default, unless the pod sets hostUsers: false"},
) if pods.target
