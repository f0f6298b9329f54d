# CIS 1.2.15: the API server's pprof endpoints are off (--profiling=false; default true).
package kspm.rules.apiserver_profiling_disabled

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.bool_flag_finding(p, "--profiling", true, false) if data.kspm.lib.apiserver.readable(p)
