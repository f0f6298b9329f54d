# CIS 2.2: etcd requires clients to present a certificate signed by its trusted CA.
package kspm.rules.etcd_client_cert_auth

import rego.v1

import data.kspm.lib.etcd

p := input.resource

names := ["--client-cert-auth"]

finding := etcd.error_finding(p, names) if not etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"client_cert_auth": etcd.text(p, "--client-cert-auth"),
		"trusted_ca_file": etcd.text(p, "--trusted-ca-file"),
		"change_in": etcd.change_in(p),
	},
	"expected": {"--client-cert-auth": true},
} if etcd.available(p, names)

outcome := "passed" if etcd.enabled(p, "--client-cert-auth")

outcome := "failed" if not etcd.enabled(p, "--client-cert-auth")
