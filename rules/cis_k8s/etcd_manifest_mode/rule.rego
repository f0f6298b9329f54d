# CIS 1.1.7: the etcd static-pod manifest (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.etcd_manifest_mode

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.mode_finding(input.resource, 384) if node.has_role(input.resource, "etcd-manifest")
