# CIS 1.2.16: the API server writes audit events to a log (--audit-log-path).
package kspm.rules.apiserver_audit_log_path

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--audit-log-path"]) if data.kspm.lib.apiserver.readable(p)
