# CIS 1.4.2: kube-scheduler binds its HTTPS port to loopback only (--bind-address; default 0.0.0.0).
package kspm.rules.scheduler_bind_address_loopback

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.bind_address_finding(p) if apiserver.readable(p)
