# CIS 1.2.19: --audit-log-maxsize is at least 100.
package kspm.rules.apiserver_audit_log_maxsize

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.min_int_flag_finding(p, "--audit-log-maxsize", 100, "0") if data.kspm.lib.apiserver.readable(p)
