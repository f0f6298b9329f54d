# CIS 1.1.12: the etcd data directory (owned by etcd:etcd; a symlink is judged by its target).
package kspm.rules.etcd_data_dir_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "etcd", "etcd") if data.kspm.lib.node.has_role(input.resource, "etcd-data-dir")
