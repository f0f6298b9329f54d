# CIS 1.2.18: --audit-log-maxbackup is at least 10.
package kspm.rules.apiserver_audit_log_maxbackup

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.min_int_flag_finding(p, "--audit-log-maxbackup", 10, "0") if apiserver.readable(p)
