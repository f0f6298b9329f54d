# CIS 1.1.11: the etcd data directory (mode 0700 or stricter; a symlink is judged by its target).
package kspm.rules.etcd_data_dir_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 448) if data.kspm.lib.node.has_role(input.resource, "etcd-data-dir")
