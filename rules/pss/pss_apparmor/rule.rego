# PSS Baseline: AppArmor may not be disabled or replaced by anything but the runtime default or a
# profile loaded on the node, through the securityContext field or the beta annotations.
package kspm.rules.pss_apparmor

import rego.v1

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

annotations := a if {
	a := data.kspm.lib.pods.pod_metadata(data.kspm.lib.pods.target).annotations
	is_object(a)
} else := {}

bad_annotations contains {"annotation": k, "value": v} if {
	some k, v in annotations
	startswith(k, annotation_prefix)
	is_string(v)
	not v in {"", "runtime/default"}
	not startswith(v, "localhost/")
}

# A profile that is set must name an allowed type; a profile without a type is refused too.
pod_violation := {"securityContext.appArmorProfile.type": t} if {
	is_object(data.kspm.lib.pss.pod_security_context.appArmorProfile)
	t := object.get(data.kspm.lib.pss.pod_security_context.appArmorProfile, "type", "")
	not t in data.kspm.lib.pss.allowed_profile_types
} else := {}

container_violations contains {"name": c.name, "type": c.type, "appArmorProfile.type": t} if {
	some c in data.kspm.lib.pss.containers
	is_object(c.sc.appArmorProfile)
	t := object.get(c.sc.appArmorProfile, "type", "")
	not t in data.kspm.lib.pss.allowed_profile_types
}

finding := data.kspm.lib.pss.result(
	(count(bad_annotations) + count(pod_violation)) + count(container_violations),
	{"annotations": bad_annotations, "pod": pod_violation, "containers": container_violations},
	{
		"appArmorProfile.type": "unset, RuntimeDefault or Localhost (pod and containers)",
		"container.apparmor.security.beta.kubernetes.io/*": "unset, empty, runtime/default or localhost/<profile>",
	},
) if data.kspm.lib.pods.target
