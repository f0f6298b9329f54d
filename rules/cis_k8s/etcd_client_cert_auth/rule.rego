# CIS 2.2: etcd requires clients to present a certificate signed by its trusted CA.
package kspm.rules.etcd_client_cert_auth

import rego.v1

p := input.resource

names := ["--client-cert-auth"]

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"client_cert_auth": data.kspm.lib.etcd.text(p, "--client-cert-auth"),
		"trusted_ca_file": data.kspm.lib.etcd.text(p, "--trusted-ca-file"),
		"change_in": data.kspm.lib.etcd.change_in(p),
	},
	"expected": {"--client-cert-auth": true},
} if data.kspm.lib.etcd.available(p, names)

outcome := "passed" if data.kspm.lib.etcd.enabled(p, "--client-cert-auth")

outcome := "failed" if not data.kspm.lib.etcd.enabled(p, "--client-cert-auth")
