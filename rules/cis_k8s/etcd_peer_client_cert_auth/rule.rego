# CIS 2.5: etcd members must present a certificate from the peer CA to join the cluster.
package kspm.rules.etcd_peer_client_cert_auth

import rego.v1

import data.kspm.lib.etcd

p := input.resource

names := ["--peer-client-cert-auth"]

finding := etcd.error_finding(p, names) if not etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"peer_client_cert_auth": etcd.text(p, "--peer-client-cert-auth"),
		"peer_trusted_ca_file": etcd.text(p, "--peer-trusted-ca-file"),
		"change_in": etcd.change_in(p),
	},
	"expected": {"--peer-client-cert-auth": true},
} if etcd.available(p, names)

outcome := "passed" if etcd.enabled(p, "--peer-client-cert-auth")

outcome := "failed" if not etcd.enabled(p, "--peer-client-cert-auth")
