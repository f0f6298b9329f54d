# CIS 1.2.17: --audit-log-maxage is at least 30.
package kspm.rules.apiserver_audit_log_maxage

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.min_int_flag_finding(p, "--audit-log-maxage", 30, "0") if data.kspm.lib.apiserver.readable(p)
