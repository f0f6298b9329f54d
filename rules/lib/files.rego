# Verdicts for the node file rules (CIS Kubernetes 1.1 and 4.1): "mode is X or stricter" and
# "owned by user:group", for one file or for a directory and everything below it. Built on
# kspm.lib.node; the input layout is in rules/README.md ("Node resources").
#
# A symlink is judged by its target (what chmod/chown and the components act on), and the
# evidence says that it is a symlink and where it points. A file the collector could not examine
# yields an `error` finding, never a pass. Every function below has mutually exclusive bodies
# (regorus's VM reads two applying complete definitions as undefined).
package kspm.lib.files

import rego.v1

# At most this many offenders are listed in evidence (the count is always exact).
max_listed := 50

# ---------------------------------------------------------------- one file

# Finding for "the file's mode grants nothing outside `limit`" (a number: 384 = 0600).
mode_finding(f, limit) := data.kspm.lib.node.file_error(f) if broken(f)

mode_finding(f, limit) := no_facts(f, "mode") if {
	not broken(f)
	not _bits(f)
}

mode_finding(f, limit) := {
	"evaluation": _verdict(_within(bits, limit)),
	"evidence": object.union(describe(f), {
		"mode": data.kspm.lib.node.octal(bits),
		"max_mode": data.kspm.lib.node.octal(limit),
		"excess": data.kspm.lib.node.mode_excess(bits, limit),
	}),
	"expected": {"mode": sprintf("%s or stricter", [data.kspm.lib.node.octal(limit)])},
} if {
	not broken(f)
	bits := _bits(f)
}

# Finding for "the file is owned by user:group" (names from the host's passwd/group).
owner_finding(f, user, group) := data.kspm.lib.node.file_error(f) if broken(f)

owner_finding(f, user, group) := no_facts(f, "owner") if {
	not broken(f)
	not _has_ids(data.kspm.lib.node.subject(f))
}

owner_finding(f, user, group) := {
	"evaluation": _verdict(_owned_bool(s, user, group)),
	"evidence": object.union(describe(f), owner_evidence(s)),
	"expected": {"owner": sprintf("%s:%s", [user, group])},
} if {
	not broken(f)
	s := data.kspm.lib.node.subject(f)
	_has_ids(s)
}

# What kspm saw about ownership: "root:root" (numeric where no name resolved), the ids, and
# which ids had no name in the host's passwd/group.
owner_evidence(s) := {
	"owner": data.kspm.lib.node.owner_text(s),
	"uid": s.uid,
	"gid": s.gid,
	"ids_without_name": _unnamed(s),
}

_unnamed(s) := array.concat(
	[sprintf("uid %d", [s.uid]) | object.get(s, "owner", null) == null],
	[sprintf("gid %d", [s.gid]) | object.get(s, "group", null) == null],
)

# ---------------------------------------------------------------- a directory tree

# Finding for the modes of a directory resource and its `entries` (roles pki, cni).
# spec: {"file": limit for regular files and other non-directories,
#        "directory": limit for directories (absent: directories are not judged),
#        "suffix": only non-directories whose path ends with it are judged (absent: all)}.
# Symlinks among the entries are listed, not judged: their own mode bits mean nothing and the
# collector does not follow them.
tree_mode_finding(f, spec) := data.kspm.lib.node.file_error(f) if broken(f)

tree_mode_finding(f, spec) := no_facts(f, "mode") if {
	not broken(f)
	not data.kspm.lib.node.subject(f)
}

tree_mode_finding(f, spec) := tree_result(
	f,
	offenders,
	problems,
	count(judged),
	object.union(_limits_evidence(spec), {"symlinks_not_judged": array.slice(symlinks, 0, max_listed)}),
	{"mode": _limits_text(spec)},
) if {
	not broken(f)
	items := tree_items(f)
	judged := [i | some i in items; _mode_limit(i, spec)]
	offenders := [sprintf("%s: %s (allowed %s, excess %s)", [i.path, data.kspm.lib.node.octal(i.mode_bits), data.kspm.lib.node.octal(limit), data.kspm.lib.node.mode_excess(i.mode_bits, limit)]) |
		some i in judged
		limit := _mode_limit(i, spec)
		not data.kspm.lib.node.mode_within(i.mode_bits, limit)
	]
	problems := [sprintf("%s: %s", [i.path, _problem(i, "mode_bits")]) |
		some i in items
		_mode_relevant(i, spec)
		_has_problem(i, "mode_bits")
	]
	symlinks := [i.path | some i in items; _kind(i) == "symlink"; endswith(i.path, object.get(spec, "suffix", ""))]
}

# Finding for the ownership of a directory resource and every entry below it (symlinks by their
# own, lstat, ownership: that is who can replace them).
tree_owner_finding(f, user, group) := data.kspm.lib.node.file_error(f) if broken(f)

tree_owner_finding(f, user, group) := no_facts(f, "owner") if {
	not broken(f)
	not data.kspm.lib.node.subject(f)
}

tree_owner_finding(f, user, group) := tree_result(
	f,
	offenders,
	problems,
	count(judged),
	{},
	{"owner": sprintf("%s:%s for the directory and every entry below it", [user, group])},
) if {
	not broken(f)
	items := tree_items(f)
	judged := [i | some i in items; not _has_problem(i, "uid and gid")]
	offenders := [sprintf("%s: %s", [i.path, data.kspm.lib.node.owner_text(i)]) |
		some i in judged
		not _owned(i, user, group)
	]
	problems := [sprintf("%s: %s", [i.path, _problem(i, "uid and gid")]) |
		some i in items
		_has_problem(i, "uid and gid")
	]
}

# The directory itself (its target when it is a symlink) followed by its entries.
tree_items(f) := array.concat([object.union(_facts(data.kspm.lib.node.subject(f)), {"path": f.path})], object.get(f, "entries", []))

_facts(s) := object.filter(s, ["kind", "mode", "mode_bits", "uid", "gid", "owner", "group", "error"])

# Offenders fail the finding even when other entries could not be examined (the failure is
# certain); with no offender, an unexamined entry is an error and a truncated listing needs a
# person; a tree with nothing to judge is not applicable.
tree_result(f, offenders, problems, checked, extra, expected) := {
	"evaluation": "failed",
	"evidence": _tree_evidence(f, offenders, problems, checked, extra),
	"expected": expected,
} if count(offenders) > 0

tree_result(f, offenders, problems, checked, extra, expected) := {
	"evaluation": "error",
	"evidence": object.union(_tree_evidence(f, offenders, problems, checked, extra), {"error": sprintf(
		"%d of the entries under %s could not be examined, first: %s",
		[count(problems), f.path, problems[0]],
	)}),
	"expected": expected,
} if {
	count(offenders) == 0
	count(problems) > 0
}

tree_result(f, offenders, problems, checked, extra, expected) := {
	"evaluation": "manual",
	"evidence": object.union(_tree_evidence(f, offenders, problems, checked, extra), {"guidance": sprintf(
		"the listing of %s was cut short after %d entries; none of those offends, check the rest on the node",
		[f.path, count(object.get(f, "entries", []))],
	)}),
	"expected": expected,
} if {
	count(offenders) == 0
	count(problems) == 0
	truncated(f)
}

tree_result(f, offenders, problems, checked, extra, expected) := {
	"evaluation": "passed",
	"evidence": _tree_evidence(f, offenders, problems, checked, extra),
	"expected": expected,
} if {
	count(offenders) == 0
	count(problems) == 0
	not truncated(f)
	checked > 0
}

_tree_evidence(f, offenders, problems, checked, extra) := object.union(object.union(describe(f), extra), {
	"checked": checked,
	"offender_count": count(offenders),
	"offenders": array.slice(offenders, 0, max_listed),
	"unexamined": array.slice(problems, 0, max_listed),
	"truncated": truncated(f),
})

truncated(f) := object.get(f, "entries_truncated", false) == true

_mode_limit(i, spec) := spec.directory if {
	_kind(i) == "directory"
	not _has_problem(i, "mode_bits")
	is_number(object.get(spec, "directory", null))
}

_mode_limit(i, spec) := spec.file if {
	_kind(i) in {"file", "other"}
	not _has_problem(i, "mode_bits")
	endswith(i.path, object.get(spec, "suffix", ""))
}

# An unexaminable entry matters when it could hold something the rule judges: a directory (its
# contents are unknown), an entry of unknown kind, or a file the rule would judge.
_mode_relevant(i, spec) if not _kind(i) in {"file", "other", "symlink"}

_mode_relevant(i, spec) if {
	_kind(i) in {"file", "other"}
	endswith(i.path, object.get(spec, "suffix", ""))
}

_limits_evidence(spec) := object.union(
	{"max_file_mode": data.kspm.lib.node.octal(spec.file)},
	{"max_directory_mode": data.kspm.lib.node.octal(spec.directory) | is_number(object.get(spec, "directory", null))},
)

_limits_text(spec) := sprintf("files%s %s or stricter, directories %s or stricter", [_suffix_text(spec), data.kspm.lib.node.octal(spec.file), data.kspm.lib.node.octal(spec.directory)]) if {
	is_number(object.get(spec, "directory", null))
}

_limits_text(spec) := sprintf("files%s %s or stricter", [_suffix_text(spec), data.kspm.lib.node.octal(spec.file)]) if {
	not is_number(object.get(spec, "directory", null))
}

_suffix_text(spec) := sprintf(" named *%s", [spec.suffix]) if object.get(spec, "suffix", "") != ""

_suffix_text(spec) := "" if object.get(spec, "suffix", "") == ""

# Why an entry cannot be judged, undefined when it can: the collector's error, or the fact the
# check needs (`key`: "mode_bits", or "uid and gid") missing.
_has_problem(i, key) if object.get(i, "error", "") != ""

_has_problem(i, key) if {
	object.get(i, "error", "") == ""
	not _has_fact(i, key)
}

_problem(i, key) := i.error if object.get(i, "error", "") != ""

_problem(i, key) := sprintf("no %s recorded", [key]) if {
	object.get(i, "error", "") == ""
	not _has_fact(i, key)
}

_has_fact(i, key) if {
	key == "uid and gid"
	_has_ids(i)
}

_has_fact(i, key) if {
	key != "uid and gid"
	is_number(object.get(i, key, null))
}

# ---------------------------------------------------------------- shared

# True when the file, or the target of a symlink, could not be examined. (kspm.lib.node's
# `unreadable` has two bodies that can both hold; this one keeps them apart.)
broken(f) if object.get(f, "error", "") != ""

broken(f) if {
	object.get(f, "error", "") == ""
	_kind(f) == "symlink"
	object.get(object.get(f, "target", {}), "error", "") != ""
}

# An error finding for a file whose facts lack what the check needs (a symlink whose target was
# not recorded, say): nothing to judge, and never a pass.
no_facts(f, what) := {
	"evaluation": "error",
	"evidence": {
		"path": object.get(f, "path", ""),
		"error": sprintf("%s: the collector recorded no %s for it%s", [object.get(f, "path", ""), what, _link_note(f)]),
	},
}

_link_note(f) := sprintf(" (symlink to %s)", [object.get(f, "link_target", "?")]) if _kind(f) == "symlink"

_link_note(f) := "" if _kind(f) != "symlink"

# Path, how the collector found it, and the symlink it went through, for every finding.
describe(f) := object.union(object.union({"path": f.path}, _found_by(f)), _link(f))

_found_by(f) := {"found_by": f.found_by} if is_string(object.get(f, "found_by", null))

_found_by(f) := {} if not is_string(object.get(f, "found_by", null))

_link(f) := {"symlink": true, "link_target": object.get(f, "link_target", "")} if _kind(f) == "symlink"

_link(f) := {} if _kind(f) != "symlink"

_kind(i) := object.get(i, "kind", "")

_bits(f) := b if {
	b := object.get(data.kspm.lib.node.subject(f), "mode_bits", null)
	is_number(b)
}

_has_ids(s) if {
	is_number(object.get(s, "uid", null))
	is_number(object.get(s, "gid", null))
}

# Owner and group compared by name. uid/gid 0 with no name in the host's files is still root.
_owned(s, user, group) if {
	_id_is(s, "owner", "uid", user)
	_id_is(s, "group", "gid", group)
}

_owned_bool(s, user, group) := true if _owned(s, user, group)

_owned_bool(s, user, group) := false if not _owned(s, user, group)

_id_is(s, name_key, id_key, want) if {
	object.get(s, name_key, null) != null
	s[name_key] == want
}

_id_is(s, name_key, id_key, want) if {
	object.get(s, name_key, null) == null
	want == "root"
	s[id_key] == 0
}

_within(bits, limit) := true if data.kspm.lib.node.mode_within(bits, limit)

_within(bits, limit) := false if not data.kspm.lib.node.mode_within(bits, limit)

_verdict(ok) := "passed" if ok == true

_verdict(ok) := "failed" if ok == false
