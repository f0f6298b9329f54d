# CIS 1.2.5: the API server verifies kubelet serving certificates (--kubelet-certificate-authority).
package kspm.rules.apiserver_kubelet_certificate_authority

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--kubelet-certificate-authority"]) if data.kspm.lib.apiserver.readable(p)
