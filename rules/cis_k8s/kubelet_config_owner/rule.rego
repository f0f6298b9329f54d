# CIS 4.1.10: the kubelet's config file (owned by root:root; a symlink is judged by its target).
package kspm.rules.kubelet_config_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "kubelet-config")
