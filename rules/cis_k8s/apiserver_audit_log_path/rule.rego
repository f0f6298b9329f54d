# CIS 1.2.16: the API server writes audit events to a log (--audit-log-path).
package kspm.rules.apiserver_audit_log_path

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--audit-log-path"]) if apiserver.readable(p)
