# CIS 1.2.21: service-account tokens are checked against etcd (--service-account-lookup; default true).
package kspm.rules.apiserver_service_account_lookup

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.bool_flag_finding(p, "--service-account-lookup", true, true) if data.kspm.lib.apiserver.readable(p)
