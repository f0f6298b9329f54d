# CIS 5.3.1: the network plugin enforces NetworkPolicy. Manual; the evidence names the plugin's
# DaemonSets as far as they can be recognised.
package kspm.rules.cni_supports_network_policy

import rego.v1

searched_namespaces := ["kube-system", "kube-flannel", "calico-system", "cilium"]

# Name or image fragment -> what is known about NetworkPolicy support. Order matters: canal
# bundles flannel and Calico, so it is matched before flannel.
plugins := [
	["canal", "canal (Calico policy on flannel networking): enforces NetworkPolicy"],
	["calico", "Calico: enforces NetworkPolicy"],
	["cilium", "Cilium: enforces NetworkPolicy"],
	["antrea", "Antrea: enforces NetworkPolicy"],
	["weave", "Weave Net: enforces NetworkPolicy (weave-npc)"],
	["kube-router", "kube-router: enforces NetworkPolicy"],
	["flannel", "flannel: does NOT enforce NetworkPolicy on its own"],
	["aws-node", "Amazon VPC CNI: enforces NetworkPolicy only with its network policy agent enabled"],
	["amazon-k8s-cni", "Amazon VPC CNI: enforces NetworkPolicy only with its network policy agent enabled"],
	["kindnet", "kindnet: only recent releases enforce NetworkPolicy; check the version"],
	["ovn", "OVN-based plugin: check the vendor documentation"],
]

images(ds) := [c.image | some c in data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(ds.spec, "template", {}), "spec", {}), "containers", [])]

label(ds) := concat(" ", array.concat([ds.metadata.name], images(ds)))

# The first plugin (in list order) whose marker appears in the DaemonSet's name or images.
plugin_of(ds) := hits[0] if {
	hits := [note | some [marker, note] in plugins; contains(label(ds), marker)]
	count(hits) > 0
}

kube_system_daemonsets := sort([sprintf("%s (%s)", [name, concat(", ", images(ds))]) |
	some name, ds in data.kspm.lib.namespaces.objects_in("DaemonSet", "kube-system")
])

cni_daemonsets := sort([sprintf("%s/%s: %s", [ns, name, plugin_of(ds)]) |
	some ns in searched_namespaces
	some name, ds in data.kspm.lib.namespaces.objects_in("DaemonSet", ns)
	plugin_of(ds)
])

finding := {
	"evaluation": "manual",
	"evidence": {
		"cni_daemonsets": cni_daemonsets,
		"kube_system_daemonsets": kube_system_daemonsets,
	},
	"expected": {"network_plugin": "one that enforces NetworkPolicy, with the feature enabled"},
} if input.resource.kind == "Cluster"
