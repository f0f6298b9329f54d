# CIS 1.2.12: the ServiceAccount admission plugin is on.
package kspm.rules.apiserver_service_account_admission

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.plugin_finding(p, "ServiceAccount", true) if data.kspm.lib.apiserver.readable(p)
