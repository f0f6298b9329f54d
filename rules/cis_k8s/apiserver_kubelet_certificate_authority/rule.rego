# CIS 1.2.5: the API server verifies kubelet serving certificates (--kubelet-certificate-authority).
package kspm.rules.apiserver_kubelet_certificate_authority

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--kubelet-certificate-authority"]) if apiserver.readable(p)
