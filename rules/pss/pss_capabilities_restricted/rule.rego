# PSS Restricted: every container must drop ALL capabilities and may add back only
# NET_BIND_SERVICE (Linux pods).
package kspm.rules.pss_capabilities_restricted

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains pss.container_evidence(c, {"drops_all": drops_all, "added": added}) if {
	not pss.windows
	some c in pss.containers
	caps := pss.as_object(pss.field(pss.security_context(c), "capabilities"))
	drops_all := "ALL" in pss.as_array(pss.field(caps, "drop"))
	added := [cap | some cap in pss.as_array(pss.field(caps, "add")); cap != "NET_BIND_SERVICE"]
	problem(drops_all, added)
}

problem(drops_all, _) if drops_all == false

problem(_, added) if count(added) > 0

finding := pss.result(
	violations,
	{"os": pss.os, "containers": violations},
	{
		"securityContext.capabilities.drop": "must contain ALL (Windows pods are exempt)",
		"securityContext.capabilities.add": ["NET_BIND_SERVICE"],
	},
) if pods.target
