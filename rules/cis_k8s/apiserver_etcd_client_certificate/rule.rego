# CIS 1.2.23: the API server has a client certificate and key for etcd.
package kspm.rules.apiserver_etcd_client_certificate

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--etcd-certfile", "--etcd-keyfile"]) if apiserver.readable(p)
