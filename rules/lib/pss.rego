# Helpers shared by the Pod Security Standards rules (rules/pss/*).
#
# Every value here derives from `data.kspm.lib.pods.target`, so it is undefined (or empty) for
# objects that carry no pod spec and for copies owned by a scanned controller. Rules still guard
# `finding` on `pods.target` themselves.
package kspm.lib.pss

import rego.v1

import data.kspm.lib.pods

# The pod spec under evaluation.
spec := pods.target_spec

# Init, regular and ephemeral containers of the pod spec, as built by pods.containers.
# Manifests rendered from templates often carry an empty list as `initContainers:` (null); those
# keys are dropped first, because iterating over null is an evaluation error in regorus.
containers := pods.containers(spec) if count(null_container_lists) == 0

else := pods.containers(object.remove(spec, null_container_lists))

null_container_lists := [k |
	some k in ["initContainers", "containers", "ephemeralContainers"]
	spec[k] == null
]

# The pod-level security context; {} when absent or null.
pod_security_context := as_object(object.get(spec, "securityContext", {}))

# The pod (or pod template) metadata annotations; {} when absent or null.
annotations := as_object(object.get(pods.pod_metadata(pods.target), "annotations", {}))

# A container's security context (c is an element of `containers`); {} when absent or null.
security_context(c) := as_object(object.get(c.container, "securityContext", {}))

# The value of a field of an object, or null when the field is absent.
field(obj, key) := object.get(obj, key, null)

# How a container is named in evidence.
container_ref(c) := {"name": c.name, "type": c.type}

# A container reference with extra observed values.
container_evidence(c, values) := object.union(container_ref(c), values)

# Windows pods are exempt from the Linux-only Restricted controls (spec.os.name: windows).
windows if spec.os.name == "windows"

# Pods in a user namespace (spec.hostUsers: false) get the relaxations of policy v1.35+.
user_namespace if spec.hostUsers == false

# The finding of a PSS rule: failed when `violations` is not empty.
result(violations, evidence, expected) := {
	"evaluation": evaluation(violations),
	"evidence": evidence,
	"expected": expected,
}

evaluation(violations) := "failed" if count(violations) > 0

else := "passed"

# {x} when x (an object) is not empty; the empty set otherwise. Used to count a pod-level
# violation next to the container-level ones.
present(x) := {x} if count(x) > 0

else := set()

as_object(x) := x if is_object(x)

else := {}

as_array(x) := x if is_array(x)

else := []

# Seccomp and AppArmor profile types accepted wherever a profile is set.
allowed_profile_types := {"RuntimeDefault", "Localhost"}

# The `type` of a seccomp or AppArmor profile object; "" when the object has none.
profile_type(profile) := t if {
	t := profile.type
	is_string(t)
} else := ""

# spec.os.name, or null when the pod does not declare its OS.
os := n if {
	n := spec.os.name
	is_string(n)
} else := null
