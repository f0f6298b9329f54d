# PSS Baseline (policy v1.34+): probes and lifecycle hooks must not target another host.
package kspm.rules.pss_host_probes_lifecycle

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

# Where a handler lives in a container, as a path below the container.
handler_paths := [
	["livenessProbe"],
	["readinessProbe"],
	["startupProbe"],
	["lifecycle", "postStart"],
	["lifecycle", "preStop"],
]

violations contains pss.container_evidence(c, {"field": field, "host": host}) if {
	some c in pss.containers
	some path in handler_paths
	handler := object.get(c.container, path, null)
	is_object(handler)
	some action in ["httpGet", "tcpSocket"]
	host := handler[action].host
	is_string(host)
	host != ""
	field := concat(".", array.concat(path, [action, "host"]))
}

finding := pss.result(
	violations,
	{"containers": violations},
	{"host": "unset or empty on every probe and lifecycle handler (httpGet, tcpSocket)"},
) if pods.target
