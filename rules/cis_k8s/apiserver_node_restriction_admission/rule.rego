# CIS 1.2.14: the NodeRestriction admission plugin is on.
package kspm.rules.apiserver_node_restriction_admission

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.plugin_finding(p, "NodeRestriction", true) if apiserver.readable(p)
