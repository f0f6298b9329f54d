# Pod-spec facts shared by the Pod Security Standards rules (rules/pss/*) and the section 5
# pod rules of CIS (5.6.2, 5.6.3).
#
# Everything here derives from `data.kspm.lib.pods.target`: it is undefined or empty for objects
# that carry no pod spec and for copies owned by a scanned controller. Rules still guard `finding`
# on `pods.target` themselves.
#
# Performance: the rule VM computes a rule of this package at most once per object and shares
# its value with every PSS rule evaluated for that object, while a user-defined function runs
# again on every call. So the per-object facts are rules here, and the rules using them avoid function
# calls inside their per-container loops.
package kspm.lib.pss

import rego.v1

# The pod spec under evaluation; {} when the object's spec is null.
spec := s if {
	s := data.kspm.lib.pods.target_spec
	is_object(s)
} else := {}

# Init, regular and ephemeral containers of the pod spec, as built by pods.containers, each with
# its security context added as `sc` ({} when absent or null).
containers := [c |
	some x in raw_containers
	c := {"name": x.name, "type": x.type, "container": x.container, "sc": security_context(x.container)}
]

# Manifests rendered from templates often carry an empty list as `initContainers:` (null); those
# keys are dropped first, because iterating over null is an evaluation error in regorus.
raw_containers := data.kspm.lib.pods.containers(spec) if count(null_container_lists) == 0

else := data.kspm.lib.pods.containers(object.remove(spec, null_container_lists))

null_container_lists := [k |
	some k in ["initContainers", "containers", "ephemeralContainers"]
	spec[k] == null
]

security_context(container) := s if {
	s := container.securityContext
	is_object(s)
} else := {}

# The pod-level security context; {} when absent or null.
pod_security_context := s if {
	s := spec.securityContext
	is_object(s)
} else := {}

# Windows pods are exempt from the Linux-only Restricted controls (spec.os.name: windows).
windows := true if spec.os.name == "windows"

else := false

# Pods in a user namespace (spec.hostUsers: false) get the relaxations of policy v1.35+.
user_namespace := true if spec.hostUsers == false

else := false

# spec.hostUsers as written (null when unset), for evidence.
host_users := object.get(spec, "hostUsers", null)

# Seccomp and AppArmor profile types accepted wherever a profile is set.
allowed_profile_types := {"RuntimeDefault", "Localhost"}

# The finding of a PSS rule: failed when `violations` (a count) is above zero.
result(violations, evidence, expected) := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	violations > 0
} else := {"evaluation": "passed", "evidence": evidence, "expected": expected}
