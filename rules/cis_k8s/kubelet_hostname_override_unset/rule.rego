# CIS 4.2.7: the kubelet registers under the host's own name (no --hostname-override).
package kspm.rules.kubelet_hostname_override_unset

import rego.v1

import data.kspm.lib.node

p := input.resource

finding := {
	"evaluation": "error",
	"evidence": {"error": p.error},
} if object.get(p, "error", "") != ""

finding := {
	"evaluation": "passed",
	"evidence": {"hostname_override": "--hostname-override not set"},
	"expected": {"--hostname-override": "not set"},
} if {
	object.get(p, "error", "") == ""
	not node.has_flag(p, "--hostname-override")
}

finding := {
	"evaluation": "failed",
	"evidence": {
		"hostname_override": node.flag_text(p, "--hostname-override"),
		"override_value": node.flag(p, "--hostname-override"),
		"note": "some platforms need this flag (nodes named after their cloud DNS name, such as AWS EC2 private DNS names, and some OpenStack or bare-metal setups); there, record a kspm exception with the reason",
	},
	"expected": {"--hostname-override": "not set"},
} if {
	object.get(p, "error", "") == ""
	node.has_flag(p, "--hostname-override")
}
