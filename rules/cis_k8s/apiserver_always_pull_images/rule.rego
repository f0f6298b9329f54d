# CIS 1.2.11: the AlwaysPullImages admission plugin is on.
package kspm.rules.apiserver_always_pull_images

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.plugin_finding(p, "AlwaysPullImages", true) if apiserver.readable(p)
