# CIS 4.1.8: the kubelet's client CA file (owned by root:root; a symlink is judged by its target).
package kspm.rules.kubelet_client_ca_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "kubelet-client-ca")
