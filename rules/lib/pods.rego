# Helpers for rules that look at pod specs: Pods and the pod templates of workloads.
package kspm.lib.pods

import rego.v1

template_kinds := {"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "ReplicationController"}

# The pod spec of a Pod or of a workload's pod template; undefined for other kinds.
spec(obj) := obj.spec if obj.kind == "Pod"

spec(obj) := obj.spec.template.spec if obj.kind in template_kinds

spec(obj) := obj.spec.jobTemplate.spec.template.spec if obj.kind == "CronJob"

# The pod's (or pod template's) metadata; {} when absent.
pod_metadata(obj) := object.get(obj, "metadata", {}) if obj.kind == "Pod"

pod_metadata(obj) := object.get(obj.spec.template, "metadata", {}) if obj.kind in template_kinds

pod_metadata(obj) := object.get(obj.spec.jobTemplate.spec.template, "metadata", {}) if obj.kind == "CronJob"

# Every container of a pod spec, init and ephemeral containers included, as
# {"name": …, "type": "containers"|"initContainers"|"ephemeralContainers", "container": {…}}.
containers(s) := [c |
	some t in ["initContainers", "containers", "ephemeralContainers"]
	some x in list(object.get(s, t, []))
	is_object(x)
	c := {"name": object.get(x, "name", ""), "type": t, "container": x}
]

# A field that should be a list, or [] when it is null or missing (Helm often renders
# `initContainers:` with nothing after it).
list(x) := x if is_array(x)

list(x) := [] if not is_array(x)

# True when the object is managed by a controller that is itself part of the scan: the finding
# then lands on the controller (Deployment, CronJob, …) instead of being repeated on every
# ReplicaSet, Job and Pod it created.
owned_by_scanned_controller(obj) if {
	some ref in object.get(obj.metadata, "ownerReferences", [])
	object.get(ref, "controller", false) == true
	ns := object.get(obj.metadata, "namespace", "")
	data.inventory.objects[ref.kind][ns][ref.name]
}

# The object under evaluation when it carries a pod spec and is not a copy owned by a scanned
# controller; undefined otherwise. Pod-spec rules start from `target`.
target := input.resource if {
	spec(input.resource)
	not owned_by_scanned_controller(input.resource)
}

# The pod spec of `target`.
target_spec := spec(target)

# Kinds that carry a pod spec, for applies_to.
workload_kinds := {"Pod", "CronJob"} | template_kinds
