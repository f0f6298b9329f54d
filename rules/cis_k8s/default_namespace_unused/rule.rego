# CIS 5.6.4: nothing but Kubernetes' own objects in the default namespace. Evaluated on the
# Namespace `default`, or on the Cluster when the scan lacks that Namespace object.
package kspm.rules.default_namespace_unused

import rego.v1

on_namespace if {
	input.resource.kind == "Namespace"
	input.resource.metadata.name == "default"
}

on_cluster if {
	input.resource.kind == "Cluster"
	not data.inventory.objects.Namespace[""]["default"]
}

# Runs on one resource per scan; it walks the kinds once and only the default namespace of each.
user_objects contains sprintf("%s/%s", [kind, name]) if {
	some kind, by_ns in data.inventory.objects
	some name, obj in data.kspm.lib.namespaces.field(by_ns, "default", {})
	not built_in(kind, name, obj)
	not data.kspm.lib.pods.owned_by_scanned_controller(obj)
}

built_in("Service", "kubernetes", _) := true

built_in("Endpoints", "kubernetes", _) := true

built_in("EndpointSlice", _, obj) if obj.metadata.labels["kubernetes.io/service-name"] == "kubernetes"

built_in("ConfigMap", "kube-root-ca.crt", _) := true

built_in("ServiceAccount", "default", _) := true

built_in("Secret", _, obj) if {
	obj.type == "kubernetes.io/service-account-token"
	obj.metadata.annotations["kubernetes.io/service-account.name"] == "default"
}

built_in("Event", _, _) := true

# Kinds a source could not read (a live scan without the right to list them): objects of those
# kinds may be in `default` unseen.
unreadable := object.get(data.inventory, "unreadable", [])

evidence := {
	"unreadable_kinds": unreadable,
	"user_objects": data.kspm.lib.namespaces.capped([o | some o in user_objects]),
	"user_object_count": count(user_objects),
	"delete_command": sprintf("kubectl delete -n default %s", [concat(" ", [lower(x) | some x in data.kspm.lib.namespaces.capped([o | some o in user_objects])])]),
}

expected := {"user_objects": []}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	on_namespace
	count(user_objects) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	on_namespace
	count(user_objects) == 0
	count(unreadable) == 0
}

# Nothing seen, but not everything could be looked at: a person must check the kinds named.
finding := {"evaluation": "manual", "evidence": evidence, "expected": expected} if {
	on_namespace
	count(user_objects) == 0
	count(unreadable) > 0
}

# Without the Namespace object only a finding of use is sound: a pass would claim more than
# the scan saw.
finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	on_cluster
	count(user_objects) > 0
}
