# CIS 1.2.12: the ServiceAccount admission plugin is on.
package kspm.rules.apiserver_service_account_admission

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.plugin_finding(p, "ServiceAccount", true) if apiserver.readable(p)
