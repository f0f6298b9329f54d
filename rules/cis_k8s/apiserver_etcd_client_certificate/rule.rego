# CIS 1.2.23: the API server has a client certificate and key for etcd.
package kspm.rules.apiserver_etcd_client_certificate

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--etcd-certfile", "--etcd-keyfile"]) if data.kspm.lib.apiserver.readable(p)
