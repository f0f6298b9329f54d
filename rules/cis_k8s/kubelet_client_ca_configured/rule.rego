# CIS 4.2.3: the kubelet verifies client certificates against a CA (authentication.x509.clientCAFile).
package kspm.rules.kubelet_client_ca_configured

import rego.v1

import data.kspm.lib.kubelet

p := input.resource

key := "authentication.x509.clientCAFile"

ca := trim_space(sprintf("%v", [kubelet.value(p, key)])) if kubelet.value(p, key) != null

ca := "" if kubelet.value(p, key) == null

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"client_ca_file": kubelet.text(p, key)}),
	"expected": {key: "path of the CA that signs the API server's kubelet client certificate"},
} if kubelet.available(p, [key])

outcome := "passed" if ca != ""

outcome := "failed" if ca == ""
