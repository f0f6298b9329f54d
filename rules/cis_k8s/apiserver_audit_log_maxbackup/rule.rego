# CIS 1.2.18: --audit-log-maxbackup is at least 10.
package kspm.rules.apiserver_audit_log_maxbackup

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.min_int_flag_finding(p, "--audit-log-maxbackup", 10, "0") if data.kspm.lib.apiserver.readable(p)
