# PSS Baseline (policy v1.34+): probes and lifecycle hooks must not target another host.
package kspm.rules.pss_host_probes_lifecycle

import rego.v1

probes := ["livenessProbe", "readinessProbe", "startupProbe"]

hooks := ["postStart", "preStop"]

actions := ["httpGet", "tcpSocket"]

violations contains {"name": c.name, "type": c.type, "field": concat(".", [probe, action, "host"]), "host": host} if {
	some c in data.kspm.lib.pss.containers
	some probe in probes
	some action in actions
	host := c.container[probe][action].host
	is_string(host)
	host != ""
}

violations contains {"name": c.name, "type": c.type, "field": concat(".", ["lifecycle", hook, action, "host"]), "host": host} if {
	some c in data.kspm.lib.pss.containers
	some hook in hooks
	some action in actions
	host := c.container.lifecycle[hook][action].host
	is_string(host)
	host != ""
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"containers": violations},
	{"host": "unset or empty on every probe and lifecycle handler (httpGet, tcpSocket)"},
) if data.kspm.lib.pods.target
