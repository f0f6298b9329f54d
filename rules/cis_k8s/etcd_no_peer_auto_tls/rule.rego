# CIS 2.6: etcd members do not use self-signed peer certificates (--peer-auto-tls is not true).
package kspm.rules.etcd_no_peer_auto_tls

import rego.v1

import data.kspm.lib.etcd

p := input.resource

names := ["--peer-auto-tls"]

finding := etcd.error_finding(p, names) if not etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"peer_auto_tls": etcd.text(p, "--peer-auto-tls"),
		"peer_cert_file": etcd.text(p, "--peer-cert-file"),
		"change_in": etcd.change_in(p),
	},
	"expected": {"--peer-auto-tls": "not set, or false"},
} if etcd.available(p, names)

outcome := "failed" if etcd.enabled(p, "--peer-auto-tls")

outcome := "passed" if not etcd.enabled(p, "--peer-auto-tls")
