# CIS 1.2.13: the NamespaceLifecycle admission plugin is on.
package kspm.rules.apiserver_namespace_lifecycle_admission

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.plugin_finding(p, "NamespaceLifecycle", true) if data.kspm.lib.apiserver.readable(p)
