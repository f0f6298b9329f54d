# CIS 5.2.1: every user namespace is covered by an enforced pod admission policy.
package kspm.rules.psa_policy_in_place

import rego.v1

base := data.kspm.lib.namespaces.psa_finding(input.resource, "baseline", set())

workloads := data.kspm.lib.namespaces.workload_count(data.kspm.lib.namespaces.input_workloads)

finding := object.union(base, {"evidence": object.union(
	object.remove(base.evidence, ["offending_workloads", "offending_count", "not_covered_by_a_policy"]),
	{"workloads": workloads},
)}) if data.kspm.lib.namespaces.user_namespace(input.resource)
