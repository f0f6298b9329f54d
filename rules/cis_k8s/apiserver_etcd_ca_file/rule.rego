# CIS 1.2.26: the API server verifies etcd's serving certificate (--etcd-cafile).
package kspm.rules.apiserver_etcd_ca_file

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--etcd-cafile"]) if apiserver.readable(p)
