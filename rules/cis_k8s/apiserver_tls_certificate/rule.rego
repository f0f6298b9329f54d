# CIS 1.2.24: the API server serves TLS with a configured certificate and key.
package kspm.rules.apiserver_tls_certificate

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--tls-cert-file", "--tls-private-key-file"]) if apiserver.readable(p)
