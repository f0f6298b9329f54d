# CIS 3.2.1: the API server has an audit policy (--audit-policy-file names a Policy with rules
# that log something).
package kspm.rules.audit_policy_configured

import rego.v1

p := input.resource

flag_name := "--audit-policy-file"

proc_error := object.get(p, "error", "")

mirror_pod if object.get(p, "source", "") == "mirror-pod"

policy_path := data.kspm.lib.node.flag(p, flag_name) if data.kspm.lib.node.has_flag(p, flag_name)

policy_path := "(not set)" if not data.kspm.lib.node.has_flag(p, flag_name)

ref := object.get(object.get(p, "referenced", {}), flag_name, null)

ref_error := "the node collector did not read the policy file" if ref == null
else := object.get(ref, "error", "")

content := object.get(ref, "content", null)

is_policy if {
	is_object(content)
	content.kind == "Policy"
	startswith(object.get(content, "apiVersion", ""), "audit.k8s.io/")
}

policy_rules := r if {
	is_policy
	r := object.get(content, "rules", [])
	is_array(r)
} else := []

logging_rules := [r | some r in policy_rules; object.get(r, "level", "None") != "None"]

levels := sort({object.get(r, "level", "None") | some r in policy_rules})

backends := array.concat(
	[sprintf("log file %s", [data.kspm.lib.node.flag(p, "--audit-log-path")]) | data.kspm.lib.node.has_flag(p, "--audit-log-path")],
	[sprintf("webhook %s", [data.kspm.lib.node.flag(p, "--audit-webhook-config-file")]) | data.kspm.lib.node.has_flag(p, "--audit-webhook-config-file")],
)

problem := "the file is not an audit.k8s.io Policy" if not is_policy
else := "the policy has no rules" if count(policy_rules) == 0
else := "every rule has level None, so nothing is logged" if count(logging_rules) == 0
else := ""

base := {
	"audit_policy_file": policy_path,
	"audit_backends": backends,
}

expected := {flag_name: "path of an audit.k8s.io/v1 Policy with at least one rule that logs (level other than None)"}

finding := {"evaluation": "error", "evidence": {"error": proc_error}} if proc_error != ""

finding := {
	"evaluation": "failed",
	"evidence": object.union(base, {"problem": "the API server runs without --audit-policy-file, so it records no audit events"}),
	"expected": expected,
} if {
	proc_error == ""
	not data.kspm.lib.node.has_flag(p, flag_name)
}

finding := {
	"evaluation": "manual",
	"evidence": object.union(base, {"problem": "only the mirror pod's command line is available: kspm could not read the policy file; check it on the node as the remediation shows"}),
	"expected": expected,
} if {
	proc_error == ""
	data.kspm.lib.node.has_flag(p, flag_name)
	mirror_pod
}

finding := {
	"evaluation": "error",
	"evidence": {"error": sprintf("audit policy %s: %s", [policy_path, ref_error]), "audit_policy_file": policy_path},
} if {
	proc_error == ""
	data.kspm.lib.node.has_flag(p, flag_name)
	not mirror_pod
	ref_error != ""
}

finding := {
	"evaluation": outcome,
	"evidence": object.union(base, {
		"rules": count(policy_rules),
		"logging_rules": count(logging_rules),
		"levels": levels,
		"problem": problem,
	}),
	"expected": expected,
} if {
	proc_error == ""
	data.kspm.lib.node.has_flag(p, flag_name)
	not mirror_pod
	ref_error == ""
}

outcome := "passed" if problem == ""

outcome := "failed" if problem != ""
