# CIS 2.1: etcd serves clients over TLS (--cert-file and --key-file are both set).
package kspm.rules.etcd_client_tls_cert

import rego.v1

import data.kspm.lib.etcd

names := ["--cert-file", "--key-file"]

p := input.resource

missing := [n | some n in names; not etcd.set_non_empty(p, n)]

finding := etcd.error_finding(p, names) if not etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"cert_file": etcd.text(p, "--cert-file"),
		"key_file": etcd.text(p, "--key-file"),
		"missing": missing,
		"change_in": etcd.change_in(p),
	},
	"expected": {"--cert-file": "path of etcd's serving certificate", "--key-file": "path of its private key"},
} if etcd.available(p, names)

outcome := "passed" if count(missing) == 0

outcome := "failed" if count(missing) > 0
