# CIS 1.2.14: the NodeRestriction admission plugin is on.
package kspm.rules.apiserver_node_restriction_admission

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.plugin_finding(p, "NodeRestriction", true) if data.kspm.lib.apiserver.readable(p)
