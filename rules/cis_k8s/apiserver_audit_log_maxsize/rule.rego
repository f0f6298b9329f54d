# CIS 1.2.19: --audit-log-maxsize is at least 100.
package kspm.rules.apiserver_audit_log_maxsize

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.min_int_flag_finding(p, "--audit-log-maxsize", 100, "0") if apiserver.readable(p)
