# CIS 2.4: etcd members talk to each other over TLS (--peer-cert-file and --peer-key-file set).
package kspm.rules.etcd_peer_tls_cert

import rego.v1

names := ["--peer-cert-file", "--peer-key-file"]

p := input.resource

missing := [n | some n in names; not data.kspm.lib.etcd.set_non_empty(p, n)]

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"peer_cert_file": data.kspm.lib.etcd.text(p, "--peer-cert-file"),
		"peer_key_file": data.kspm.lib.etcd.text(p, "--peer-key-file"),
		"initial_cluster": data.kspm.lib.etcd.text(p, "--initial-cluster"),
		"missing": missing,
		"change_in": data.kspm.lib.etcd.change_in(p),
	},
	"expected": {"--peer-cert-file": "path of the member's peer certificate", "--peer-key-file": "path of its private key"},
} if data.kspm.lib.etcd.available(p, names)

outcome := "passed" if count(missing) == 0

outcome := "failed" if count(missing) > 0
