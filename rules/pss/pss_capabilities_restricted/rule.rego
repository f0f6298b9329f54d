# PSS Restricted: every container must drop ALL capabilities and may add back only
# NET_BIND_SERVICE (Linux pods).
package kspm.rules.pss_capabilities_restricted

import rego.v1

# Positions (in pss.containers) of the containers that drop ALL; the name must be exactly "ALL".
drops_all contains i if {
	some i, c in data.kspm.lib.pss.containers
	is_array(c.sc.capabilities.drop)
	"ALL" in c.sc.capabilities.drop
}

# [position, capability] for every added capability other than NET_BIND_SERVICE.
extra_added contains [i, cap] if {
	some i, c in data.kspm.lib.pss.containers
	is_array(c.sc.capabilities.add)
	some cap in c.sc.capabilities.add
	cap != "NET_BIND_SERVICE"
}

violations contains {"name": c.name, "type": c.type, "drops_all": drops, "added": added} if {
	not data.kspm.lib.pss.windows
	some i, c in data.kspm.lib.pss.containers
	drops := i in drops_all
	added := [cap | some [j, cap] in extra_added; j == i]
	[drops, count(added)] != [true, 0]
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"windows": data.kspm.lib.pss.windows, "containers": violations},
	{
		"securityContext.capabilities.drop": "must contain ALL (Windows pods are exempt)",
		"securityContext.capabilities.add": ["NET_BIND_SERVICE"],
	},
) if data.kspm.lib.pods.target
