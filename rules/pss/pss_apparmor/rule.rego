# PSS Baseline: AppArmor may not be disabled or replaced by anything but the runtime default or a
# profile loaded on the node, through the securityContext field or the beta annotations.
package kspm.rules.pss_apparmor

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

allowed_annotation_value(v) if v in {"", "runtime/default"}

allowed_annotation_value(v) if startswith(v, "localhost/")

bad_annotations contains {"annotation": k, "value": v} if {
	some k, v in pss.annotations
	startswith(k, annotation_prefix)
	not allowed_annotation_value(v)
}

bad_type(profile) := t if {
	is_object(profile)
	t := pss.profile_type(profile)
	not t in pss.allowed_profile_types
}

pod_violation := {"securityContext.appArmorProfile.type": t} if {
	t := bad_type(pss.pod_security_context.appArmorProfile)
} else := {}

container_violations contains pss.container_evidence(c, {"appArmorProfile.type": t}) if {
	some c in pss.containers
	t := bad_type(pss.security_context(c).appArmorProfile)
}

finding := pss.result(
	(bad_annotations | container_violations) | pss.present(pod_violation),
	{"annotations": bad_annotations, "pod": pod_violation, "containers": container_violations},
	{
		"appArmorProfile.type": "unset, RuntimeDefault or Localhost (pod and containers)",
		"container.apparmor.security.beta.kubernetes.io/*": "unset, empty, runtime/default or localhost/<profile>",
	},
) if pods.target
