# CIS 1.2.26: the API server verifies etcd's serving certificate (--etcd-cafile).
package kspm.rules.apiserver_etcd_ca_file

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--etcd-cafile"]) if data.kspm.lib.apiserver.readable(p)
