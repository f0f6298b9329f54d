# CIS 1.3.5: the controller manager publishes the cluster CA (--root-ca-file).
package kspm.rules.controller_manager_root_ca_file

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--root-ca-file"]) if data.kspm.lib.apiserver.readable(p)
