# CIS 1.3.5: the controller manager publishes the cluster CA (--root-ca-file).
package kspm.rules.controller_manager_root_ca_file

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--root-ca-file"]) if apiserver.readable(p)
