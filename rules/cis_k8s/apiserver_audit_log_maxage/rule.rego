# CIS 1.2.17: --audit-log-maxage is at least 30.
package kspm.rules.apiserver_audit_log_maxage

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.min_int_flag_finding(p, "--audit-log-maxage", 30, "0") if apiserver.readable(p)
