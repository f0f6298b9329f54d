# CIS 1.2.10: the AlwaysAdmit admission plugin is off.
package kspm.rules.apiserver_no_always_admit

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.plugin_finding(p, "AlwaysAdmit", false) if apiserver.readable(p)
