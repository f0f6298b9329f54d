# CIS 2.1: etcd serves clients over TLS (--cert-file and --key-file are both set).
package kspm.rules.etcd_client_tls_cert

import rego.v1

names := ["--cert-file", "--key-file"]

p := input.resource

missing := [n | some n in names; not data.kspm.lib.etcd.set_non_empty(p, n)]

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"cert_file": data.kspm.lib.etcd.text(p, "--cert-file"),
		"key_file": data.kspm.lib.etcd.text(p, "--key-file"),
		"missing": missing,
		"change_in": data.kspm.lib.etcd.change_in(p),
	},
	"expected": {"--cert-file": "path of etcd's serving certificate", "--key-file": "path of its private key"},
} if data.kspm.lib.etcd.available(p, names)

outcome := "passed" if count(missing) == 0

outcome := "failed" if count(missing) > 0
