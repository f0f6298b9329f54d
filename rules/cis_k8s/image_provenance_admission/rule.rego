# CIS 5.5.1: image provenance at admission. Judged from every kube-apiserver of the scan (node
# processes, or the command lines of their mirror pods): passed only when each one enables
# ImagePolicyWebhook and its admission configuration, read by kspm, configures the webhook to
# fail closed; failed when the plugin is enabled but not configured (or fails open, or only some
# API servers have it); error when the configuration could not be read; manual otherwise (no API
# server seen, configuration out of sight, or the plugin off everywhere: an equivalent control may
# exist).
package kspm.rules.image_provenance_admission

import rego.v1

config_flag := "--admission-control-config-file"

# (node, facts) of every kube-apiserver process of the scan.
api_servers := [{"name": sprintf("%s/kube-apiserver", [node]), "p": p} |
	some node, components in data.inventory.processes
	p := components["kube-apiserver"]
	is_object(p)
]

# The ImagePolicyWebhook entries of the admission configuration that was read.
entries(p) := [e |
	some e in object.get(data.kspm.lib.apiserver.referenced(p, config_flag).content, "plugins", [])
	object.get(e, "name", "") == "ImagePolicyWebhook"
]

image_policy(e) := object.get(object.get(e, "configuration", {}), "imagePolicy", {})

# What kspm can tell about one API server: {"state": …, "text": …}. States: error, off,
# failed, unseen, ok.
assess(p) := {"state": "error", "text": sprintf("its command line could not be read: %s", [p.error])} if {
	data.kspm.lib.apiserver.unreadable(p)
}

assess(p) := {"state": "off", "text": "ImagePolicyWebhook is not enabled"} if {
	data.kspm.lib.apiserver.readable(p)
	not data.kspm.lib.apiserver.plugin_enabled(p, "ImagePolicyWebhook")
}

assess(p) := {"state": "failed", "text": sprintf("ImagePolicyWebhook is enabled but %s is not set, so nothing configures it", [config_flag])} if {
	enabled(p)
	not data.kspm.lib.apiserver.set_non_empty(p, config_flag)
}

assess(p) := {"state": "error", "text": sprintf("%s %s could not be read: %s", [config_flag, object.get(data.kspm.lib.apiserver.referenced(p, config_flag), "path", ""), data.kspm.lib.apiserver.referenced(p, config_flag).error])} if {
	configured_flag(p)
	data.kspm.lib.apiserver.referenced_error(p, config_flag)
}

assess(p) := {"state": "unseen", "text": sprintf("ImagePolicyWebhook is enabled with %s, but %s", [data.kspm.lib.node.flag_text(p, config_flag), data.kspm.lib.apiserver.content_missing_reason(p, config_flag)])} if {
	configured_flag(p)
	not data.kspm.lib.apiserver.referenced_error(p, config_flag)
	not data.kspm.lib.apiserver.has_content(p, config_flag)
}

assess(p) := {"state": "failed", "text": sprintf("the admission configuration %s has no ImagePolicyWebhook entry, so the enabled plugin has no webhook", [config_path(p)])} if {
	read(p)
	count(entries(p)) == 0
}

assess(p) := {"state": "unseen", "text": sprintf("the ImagePolicyWebhook configuration is in %s, which kspm does not read", [e.path])} if {
	read(p)
	count(entries(p)) > 0
	e := entries(p)[0]
	is_string(object.get(e, "path", null))
}

assess(p) := {"state": "failed", "text": "the ImagePolicyWebhook entry sets no imagePolicy.kubeConfigFile, so no image policy service is called"} if {
	inline(p)
	object.get(image_policy(entries(p)[0]), "kubeConfigFile", "") == ""
}

assess(p) := {"state": "failed", "text": "imagePolicy.defaultAllow is true: every image is admitted whenever the image policy service cannot be reached"} if {
	inline(p)
	object.get(image_policy(entries(p)[0]), "kubeConfigFile", "") != ""
	object.get(image_policy(entries(p)[0]), "defaultAllow", false) == true
}

assess(p) := {"state": "ok", "text": sprintf("ImagePolicyWebhook calls the service in %s and rejects images when it cannot be reached", [image_policy(entries(p)[0]).kubeConfigFile])} if {
	inline(p)
	object.get(image_policy(entries(p)[0]), "kubeConfigFile", "") != ""
	object.get(image_policy(entries(p)[0]), "defaultAllow", false) != true
}

enabled(p) if {
	data.kspm.lib.apiserver.readable(p)
	data.kspm.lib.apiserver.plugin_enabled(p, "ImagePolicyWebhook")
}

configured_flag(p) if {
	enabled(p)
	data.kspm.lib.apiserver.set_non_empty(p, config_flag)
}

read(p) if {
	configured_flag(p)
	data.kspm.lib.apiserver.has_content(p, config_flag)
}

# The first entry configures the plugin inline (no separate file).
inline(p) if {
	read(p)
	count(entries(p)) > 0
	not is_string(object.get(entries(p)[0], "path", null))
}

config_path(p) := object.get(data.kspm.lib.apiserver.referenced(p, config_flag), "path", data.kspm.lib.node.flag(p, config_flag))

assessed := [{"name": s.name, "state": a.state, "text": a.text} |
	some s in api_servers
	a := assess(s.p)
	is_object(a)
]

states := {a.state | some a in assessed}

markers := ["kyverno", "sigstore", "connaisseur", "ratify", "portieris", "cosign"]

webhooks contains sprintf("%s/%s", [kind, name]) if {
	some kind in ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]
	some name, cfg in data.kspm.lib.namespaces.objects_in(kind, "")
	text := concat(" ", array.concat([name], [h.name | some h in data.kspm.lib.namespaces.field(cfg, "webhooks", [])]))
	some m in markers
	contains(text, m)
}

evidence := {
	"api_servers": [sprintf("%s: %s", [a.name, a.text]) | some a in assessed],
	"enable_admission_plugins": sort({x | some s in api_servers; some x in data.kspm.lib.node.flag_list(s.p, "--enable-admission-plugins")}),
	"image_verification_webhooks": sort(webhooks),
}

expected := {"--enable-admission-plugins": "includes ImagePolicyWebhook on every API server, with an admission configuration that points it at an image policy service and does not fail open (or an equivalent image provenance control)"}

on_cluster if input.resource.kind == "Cluster"

outcome := "manual" if count(assessed) == 0

outcome := "failed" if "failed" in states

outcome := "failed" if {
	not "failed" in states
	"off" in states
	count(states - {"off"}) > 0
	not "error" in states
}

outcome := "error" if {
	not "failed" in states
	"error" in states
}

outcome := "manual" if {
	count(assessed) > 0
	states == {"off"}
}

outcome := "manual" if {
	"unseen" in states
	not "failed" in states
	not "error" in states
	not "off" in states
}

outcome := "passed" if {
	count(assessed) > 0
	states == {"ok"}
}

error_text := concat("; ", [sprintf("%s: %s", [a.name, a.text]) | some a in assessed; a.state == "error"])

finding := {"evaluation": outcome, "evidence": evidence, "expected": expected} if {
	on_cluster
	outcome != "error"
}

finding := {"evaluation": "error", "evidence": object.union(evidence, {"error": error_text}), "expected": expected} if {
	on_cluster
	outcome == "error"
}
