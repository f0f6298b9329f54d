# CIS 1.3.2: the controller manager's pprof endpoints are off (--profiling=false; default true).
package kspm.rules.controller_manager_profiling_disabled

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.bool_flag_finding(p, "--profiling", true, false) if apiserver.readable(p)
