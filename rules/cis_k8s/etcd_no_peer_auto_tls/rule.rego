# CIS 2.6: etcd members do not use self-signed peer certificates (--peer-auto-tls is not true).
package kspm.rules.etcd_no_peer_auto_tls

import rego.v1

p := input.resource

names := ["--peer-auto-tls"]

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": outcome,
	"evidence": {
		"peer_auto_tls": data.kspm.lib.etcd.text(p, "--peer-auto-tls"),
		"peer_cert_file": data.kspm.lib.etcd.text(p, "--peer-cert-file"),
		"change_in": data.kspm.lib.etcd.change_in(p),
	},
	"expected": {"--peer-auto-tls": "not set, or false"},
} if data.kspm.lib.etcd.available(p, names)

outcome := "failed" if data.kspm.lib.etcd.enabled(p, "--peer-auto-tls")

outcome := "passed" if not data.kspm.lib.etcd.enabled(p, "--peer-auto-tls")
