# CIS 1.2.10: the AlwaysAdmit admission plugin is off.
package kspm.rules.apiserver_no_always_admit

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.plugin_finding(p, "AlwaysAdmit", false) if data.kspm.lib.apiserver.readable(p)
