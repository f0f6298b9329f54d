# CIS 1.2.3: the DenyServiceExternalIPs admission plugin is on.
package kspm.rules.apiserver_deny_service_external_ips

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.plugin_finding(p, "DenyServiceExternalIPs", true) if data.kspm.lib.apiserver.readable(p)
