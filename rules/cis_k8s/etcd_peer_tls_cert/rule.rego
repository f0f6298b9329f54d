# CIS 2.4: etcd members talk to each other over TLS (--peer-cert-file and --peer-key-file set).
package kspm.rules.etcd_peer_tls_cert

import rego.v1

import data.kspm.lib.etcd

names := ["--peer-cert-file", "--peer-key-file"]

p := input.resource

missing := [n | some n in names; not etcd.set_non_empty(p, n)]

finding := etcd.error_finding(p, names) if not etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"peer_cert_file": etcd.text(p, "--peer-cert-file"),
		"peer_key_file": etcd.text(p, "--peer-key-file"),
		"initial_cluster": etcd.text(p, "--initial-cluster"),
		"missing": missing,
		"change_in": etcd.change_in(p),
	},
	"expected": {"--peer-cert-file": "path of the member's peer certificate", "--peer-key-file": "path of its private key"},
} if etcd.available(p, names)

outcome := "passed" if count(missing) == 0

outcome := "failed" if count(missing) > 0
