# CIS 4.1.7: the kubelet's client CA file (mode 0644 or stricter; a symlink is judged by its target).
package kspm.rules.kubelet_client_ca_mode

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.mode_finding(input.resource, 420) if node.has_role(input.resource, "kubelet-client-ca")
