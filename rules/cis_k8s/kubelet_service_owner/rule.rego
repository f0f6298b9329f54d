# CIS 4.1.2: the kubelet's systemd unit and drop-ins (owned by root:root; a symlink is judged by its target).
package kspm.rules.kubelet_service_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "kubelet-service")
