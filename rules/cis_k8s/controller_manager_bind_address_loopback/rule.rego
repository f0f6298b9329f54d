# CIS 1.3.7: kube-controller-manager binds its HTTPS port to loopback only (--bind-address; default 0.0.0.0).
package kspm.rules.controller_manager_bind_address_loopback

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.bind_address_finding(p) if data.kspm.lib.apiserver.readable(p)
