# CIS 1.2.21: service-account tokens are checked against etcd (--service-account-lookup; default true).
package kspm.rules.apiserver_service_account_lookup

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.bool_flag_finding(p, "--service-account-lookup", true, true) if apiserver.readable(p)
