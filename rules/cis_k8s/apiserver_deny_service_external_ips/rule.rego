# CIS 1.2.3: the DenyServiceExternalIPs admission plugin is on.
package kspm.rules.apiserver_deny_service_external_ips

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.plugin_finding(p, "DenyServiceExternalIPs", true) if apiserver.readable(p)
