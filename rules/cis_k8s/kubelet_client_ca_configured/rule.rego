# CIS 4.2.3: the kubelet verifies client certificates against a CA (authentication.x509.clientCAFile).
package kspm.rules.kubelet_client_ca_configured

import rego.v1

p := input.resource

key := "authentication.x509.clientCAFile"

ca := trim_space(sprintf("%v", [data.kspm.lib.kubelet.value(p, key)])) if data.kspm.lib.kubelet.value(p, key) != null

ca := "" if data.kspm.lib.kubelet.value(p, key) == null

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"client_ca_file": data.kspm.lib.kubelet.text(p, key)}),
	"expected": {key: "path of the CA that signs the API server's kubelet client certificate"},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if ca != ""

outcome := "failed" if ca == ""
