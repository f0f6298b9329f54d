# CIS 2.5: etcd members must present a certificate from the peer CA to join the cluster.
package kspm.rules.etcd_peer_client_cert_auth

import rego.v1

p := input.resource

names := ["--peer-client-cert-auth"]

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"peer_client_cert_auth": data.kspm.lib.etcd.text(p, "--peer-client-cert-auth"),
		"peer_trusted_ca_file": data.kspm.lib.etcd.text(p, "--peer-trusted-ca-file"),
		"change_in": data.kspm.lib.etcd.change_in(p),
	},
	"expected": {"--peer-client-cert-auth": true},
} if data.kspm.lib.etcd.available(p, names)

outcome := "passed" if data.kspm.lib.etcd.enabled(p, "--peer-client-cert-auth")

outcome := "failed" if not data.kspm.lib.etcd.enabled(p, "--peer-client-cert-auth")
