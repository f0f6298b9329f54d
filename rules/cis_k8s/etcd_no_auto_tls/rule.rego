# CIS 2.3: etcd does not serve clients with a self-signed certificate (--auto-tls is not true).
package kspm.rules.etcd_no_auto_tls

import rego.v1

import data.kspm.lib.etcd

p := input.resource

names := ["--auto-tls"]

finding := etcd.error_finding(p, names) if not etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"auto_tls": etcd.text(p, "--auto-tls"),
		"cert_file": etcd.text(p, "--cert-file"),
		"change_in": etcd.change_in(p),
	},
	"expected": {"--auto-tls": "not set, or false"},
} if etcd.available(p, names)

outcome := "failed" if etcd.enabled(p, "--auto-tls")

outcome := "passed" if not etcd.enabled(p, "--auto-tls")
