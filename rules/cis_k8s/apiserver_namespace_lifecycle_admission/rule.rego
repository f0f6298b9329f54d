# CIS 1.2.13: the NamespaceLifecycle admission plugin is on.
package kspm.rules.apiserver_namespace_lifecycle_admission

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.plugin_finding(p, "NamespaceLifecycle", true) if apiserver.readable(p)
