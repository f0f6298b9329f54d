# CIS 1.2.24: the API server serves TLS with a configured certificate and key.
package kspm.rules.apiserver_tls_certificate

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--tls-cert-file", "--tls-private-key-file"]) if data.kspm.lib.apiserver.readable(p)
