# CIS 2.3: etcd does not serve clients with a self-signed certificate (--auto-tls is not true).
package kspm.rules.etcd_no_auto_tls

import rego.v1

p := input.resource

names := ["--auto-tls"]

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"auto_tls": data.kspm.lib.etcd.text(p, "--auto-tls"),
		"cert_file": data.kspm.lib.etcd.text(p, "--cert-file"),
		"change_in": data.kspm.lib.etcd.change_in(p),
	},
	"expected": {"--auto-tls": "not set, or false"},
} if data.kspm.lib.etcd.available(p, names)

outcome := "failed" if data.kspm.lib.etcd.enabled(p, "--auto-tls")

outcome := "passed" if not data.kspm.lib.etcd.enabled(p, "--auto-tls")
