//! The host root: paths resolved inside it (never escaping it), `lstat` facts, users and groups
//! from the host's own `etc/passwd` and `etc/group`.

use std::collections::{HashMap, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{self, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::read::ReadError;

/// Largest file the collector reads (configs, manifests, passwd).
pub const MAX_READ: u64 = 4 * 1024 * 1024;
/// Most entries listed below a `pki` or `cni` directory.
pub const MAX_ENTRIES: usize = 10_000;
/// Most symbolic links followed while resolving one path (Linux uses 40 as well).
const MAX_LINKS: usize = 40;

/// Why a path could not be resolved inside a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// A component does not exist (or a non-directory sits where a directory is needed).
    NotFound,
    /// Too many symbolic links: a loop.
    Loop,
    /// Any other failure, in words.
    Io(String),
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::NotFound => f.write_str("no such file or directory (ENOENT)"),
            ResolveError::Loop => f.write_str("too many levels of symbolic links (ELOOP)"),
            ResolveError::Io(m) => f.write_str(m),
        }
    }
}

/// A host root with its user and group names loaded.
#[derive(Debug)]
pub struct Host {
    root: PathBuf,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
    /// `etc/passwd` or `etc/group` exist but could not be read: (host path, why). Owners are
    /// then shown as ids, and the scan reports an input error.
    pub names_errors: Vec<(String, String)>,
}

impl Host {
    /// Opens `root`, reading `etc/passwd` and `etc/group` inside it (missing files mean no
    /// names, not an error).
    pub fn open(root: &Path) -> Host {
        let mut host = Host {
            root: root.to_path_buf(),
            users: HashMap::new(),
            groups: HashMap::new(),
            names_errors: Vec::new(),
        };
        for path in ["/etc/passwd", "/etc/group"] {
            match host.read_text(root, path) {
                Ok(text) if path == "/etc/passwd" => host.users = parse_id_names(&text),
                Ok(text) => host.groups = parse_id_names(&text),
                // Missing files mean no names; anything else is a file that exists unread.
                Err(e) if host.exists(root, path) => {
                    host.names_errors.push((path.to_owned(), e.to_string()))
                }
                Err(_) => {}
            }
        }
        host
    }

    /// The host root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads a host path (following symlinks inside `base`) as text, capped at [`MAX_READ`].
    pub fn read_text(&self, base: &Path, path: &str) -> crate::Result<String> {
        let real =
            resolve(base, path, true).map_err(|e| crate::Error::Unreadable(e.to_string()))?;
        read_capped(&real, MAX_READ).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The facts of one path under `base`, or `None` when it does not exist.
    ///
    /// The path itself is examined with `lstat`; a symlink also gets `link_target` and the
    /// facts of its target resolved inside `base` (`target.error` when it cannot be).
    pub fn file_facts(&self, base: &Path, path: &str) -> Option<Map<String, Value>> {
        let mut facts = Map::new();
        facts.insert("path".into(), json!(path));
        let real = match resolve(base, path, false) {
            Ok(real) => real,
            Err(ResolveError::NotFound) => return None,
            Err(e) => {
                facts.insert("kind".into(), json!("other"));
                facts.insert("error".into(), json!(e.to_string()));
                return Some(facts);
            }
        };
        let meta = match fs::symlink_metadata(&real) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                facts.insert("kind".into(), json!("other"));
                facts.insert("error".into(), json!(io_message(&e)));
                return Some(facts);
            }
        };
        self.put_meta(&mut facts, &meta, true);
        if meta.file_type().is_symlink() {
            let link = fs::read_link(&real)
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            facts.insert("link_target".into(), json!(link));
            let mut target = Map::new();
            match resolve(base, path, true)
                .map_err(|e| e.to_string())
                .and_then(|t| fs::symlink_metadata(&t).map_err(|e| io_message(&e)))
            {
                Ok(m) => self.put_meta(&mut target, &m, true),
                Err(e) => {
                    target.insert("error".into(), json!(e));
                }
            }
            facts.insert("target".into(), Value::Object(target));
        }
        Some(facts)
    }

    /// Every entry below a directory, recursively, without following symlinks; sorted by path
    /// and capped at [`MAX_ENTRIES`] (the flag says whether the cap was hit).
    ///
    /// A directory that cannot be listed is never taken for an empty one: a subdirectory gets an
    /// `error` saying so (its own facts stay), and when the directory itself cannot be listed an
    /// entry for it carries the error.
    pub fn entries(&self, base: &Path, dir: &str) -> (Vec<Value>, bool) {
        let host_dir = dir.trim_end_matches('/').to_owned();
        let real = match resolve(base, dir, true) {
            Ok(real) => real,
            Err(ResolveError::NotFound) => return (Vec::new(), false),
            Err(e) => return (vec![unlisted(&host_dir, &e.to_string())], false),
        };
        let mut out: Vec<Value> = Vec::new();
        // (real path, host path, index in `out` of the directory's own entry).
        let mut stack: Vec<(PathBuf, String, Option<usize>)> = vec![(real, host_dir, None)];
        let mut truncated = false;
        'walk: while let Some((real_dir, host_dir, own)) = stack.pop() {
            let read = match fs::read_dir(&real_dir) {
                Ok(read) => read,
                Err(e) => {
                    let why = format!("cannot list its entries: {}", io_message(&e));
                    match own.and_then(|i| out.get_mut(i)) {
                        Some(Value::Object(entry)) => {
                            entry.insert("error".into(), json!(why));
                        }
                        _ => out.push(unlisted(&host_dir, &io_message(&e))),
                    }
                    continue;
                }
            };
            for entry in read {
                if out.len() >= MAX_ENTRIES {
                    truncated = true;
                    break 'walk;
                }
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        out.push(unlisted(&host_dir, &io_message(&e)));
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                let host_path = format!("{host_dir}/{name}");
                let mut facts = Map::new();
                facts.insert("path".into(), json!(host_path));
                match fs::symlink_metadata(entry.path()) {
                    Ok(m) => {
                        self.put_meta(&mut facts, &m, false);
                        if m.is_dir() {
                            stack.push((entry.path(), host_path, Some(out.len())));
                        }
                    }
                    Err(e) => {
                        facts.insert("kind".into(), json!("other"));
                        facts.insert("error".into(), json!(io_message(&e)));
                    }
                }
                out.push(Value::Object(facts));
            }
        }
        out.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
        (out, truncated)
    }

    /// Names of the regular files (and symlinks) directly inside a directory, sorted, capped.
    /// A directory that does not exist has no names; one that exists but cannot be listed is
    /// an error (in words, with the errno), never an empty list.
    pub fn list_dir(&self, base: &Path, dir: &str, cap: usize) -> Result<Vec<String>, String> {
        let real = match resolve(base, dir, true) {
            Ok(real) => real,
            Err(ResolveError::NotFound) => return Ok(Vec::new()),
            Err(e) => return Err(e.to_string()),
        };
        let read = match fs::read_dir(real) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_message(&e)),
        };
        let mut names = Vec::new();
        for entry in read {
            let entry = entry.map_err(|e| io_message(&e))?;
            if entry.file_type().is_ok_and(|t| !t.is_dir()) {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            if names.len() >= cap {
                break;
            }
        }
        names.sort();
        Ok(names)
    }

    /// True when the path exists under `base` (without following a final symlink).
    pub fn exists(&self, base: &Path, path: &str) -> bool {
        match resolve(base, path, false) {
            Err(ResolveError::NotFound) => false,
            Err(_) => true,
            Ok(real) => fs::symlink_metadata(real).is_ok(),
        }
    }

    fn put_meta(&self, facts: &mut Map<String, Value>, meta: &Metadata, with_size: bool) {
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            "symlink"
        } else if ft.is_dir() {
            "directory"
        } else if ft.is_file() {
            "file"
        } else {
            "other"
        };
        let bits = meta.mode() & 0o7777;
        facts.insert("kind".into(), json!(kind));
        facts.insert("mode".into(), json!(format!("{bits:04o}")));
        facts.insert("mode_bits".into(), json!(bits));
        facts.insert("uid".into(), json!(meta.uid()));
        facts.insert("gid".into(), json!(meta.gid()));
        if let Some(name) = self.users.get(&meta.uid()) {
            facts.insert("owner".into(), json!(name));
        }
        if let Some(name) = self.groups.get(&meta.gid()) {
            facts.insert("group".into(), json!(name));
        }
        if with_size {
            facts.insert("size".into(), json!(meta.size()));
        }
    }
}

/// `id → name` from passwd/group lines (`name:x:id:…`); the first name of an id wins.
pub fn parse_id_names(text: &str) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if let Ok(id) = id.trim().parse::<u32>() {
            names.entry(id).or_insert_with(|| name.to_owned());
        }
    }
    names
}

/// Resolves a host path to a real path under `base`, following symlinks *inside* `base`: an
/// absolute link target starts again at `base` and `..` never climbs above it. With
/// `follow_last` false the final component is left as it is (for `lstat`).
pub fn resolve(base: &Path, path: &str, follow_last: bool) -> Result<PathBuf, ResolveError> {
    let mut done: Vec<OsString> = Vec::new();
    let mut todo: VecDeque<OsString> = components(Path::new(path)).collect();
    let mut links = 0;
    while let Some(part) = todo.pop_front() {
        if part == ".." {
            done.pop();
            continue;
        }
        let last = todo.is_empty();
        done.push(part);
        if last && !follow_last {
            break;
        }
        let real = join(base, &done);
        match fs::symlink_metadata(&real) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(ResolveError::Loop);
                }
                let target = fs::read_link(&real).map_err(|e| ResolveError::Io(io_message(&e)))?;
                done.pop();
                if target.is_absolute() {
                    done.clear();
                }
                for c in components(&target).collect::<Vec<_>>().into_iter().rev() {
                    todo.push_front(c);
                }
            }
            Ok(m) => {
                if !last && !m.is_dir() {
                    return Err(ResolveError::NotFound);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ResolveError::NotFound);
            }
            Err(e) if e.raw_os_error() == Some(20) => return Err(ResolveError::NotFound),
            Err(e) => return Err(ResolveError::Io(io_message(&e))),
        }
    }
    Ok(join(base, &done))
}

fn components(path: &Path) -> impl Iterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(p) => Some(p.to_os_string()),
        Component::ParentDir => Some(OsString::from("..")),
        _ => None,
    })
}

fn join(base: &Path, parts: &[OsString]) -> PathBuf {
    let mut p = base.to_path_buf();
    for part in parts {
        p.push(OsStr::new(part));
    }
    p
}

/// Reads at most `cap` bytes of a regular file; a longer file is an error rather than a silent
/// cut, and a FIFO, socket or device is named and never read (see [`crate::read`]).
pub fn read_capped(path: &Path, cap: u64) -> crate::Result<Vec<u8>> {
    crate::read::regular_file(path, cap).map_err(|e| {
        crate::Error::Unreadable(match e {
            ReadError::NotRegular("a directory") => "is a directory (EISDIR)".into(),
            ReadError::Io(e) => io_message(&e),
            other => other.to_string(),
        })
    })
}

/// An entry standing for a directory that could not be listed.
fn unlisted(host_dir: &str, why: &str) -> Value {
    json!({"path": host_dir, "kind": "directory", "error": format!("cannot list its entries: {why}")})
}

/// An I/O error in words with its errno name: `permission denied (EACCES)`.
pub fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    let words = match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text.to_lowercase(),
    };
    match e.raw_os_error() {
        Some(code) => format!("{words} ({})", errno_name(code)),
        None => words,
    }
}

/// The symbolic name of a Linux errno (the number for the rare ones).
pub fn errno_name(code: i32) -> String {
    let name = match code {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        12 => "ENOMEM",
        13 => "EACCES",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        36 => "ENAMETOOLONG",
        40 => "ELOOP",
        75 => "EOVERFLOW",
        107 => "ENOTCONN",
        116 => "ESTALE",
        _ => return format!("errno {code}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tmp(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("kspm-host-{name}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn parse_id_names_reads_passwd_and_group_lines() {
        let names = parse_id_names(
            "root:x:0:0:root:/root:/bin/bash\n# c\netcd:x:997:996::/:/sbin/nologin\nbad\nroot2:x:0:0::/:\n",
        );
        assert_eq!(names[&0], "root");
        assert_eq!(names[&997], "etcd");
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn absolute_symlinks_are_rerooted_and_dotdot_stays_inside() {
        let tmp = tmp("reroot");
        let root = tmp.path();
        fs::create_dir_all(root.join("data")).unwrap();
        fs::write(root.join("data/real.conf"), "x").unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        symlink("/data/real.conf", root.join("etc/abs.conf")).unwrap();
        symlink("../../../../data/real.conf", root.join("etc/rel.conf")).unwrap();
        assert_eq!(
            resolve(root, "/etc/abs.conf", true).unwrap(),
            root.join("data/real.conf")
        );
        assert_eq!(
            resolve(root, "/etc/rel.conf", true).unwrap(),
            root.join("data/real.conf")
        );
        assert_eq!(
            resolve(root, "/etc/abs.conf", false).unwrap(),
            root.join("etc/abs.conf")
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn symlink_loops_and_missing_paths_are_told_apart() {
        let tmp = tmp("loop");
        let root = tmp.path();
        symlink("b", root.join("a")).unwrap();
        symlink("a", root.join("b")).unwrap();
        assert_eq!(resolve(root, "/a", true), Err(ResolveError::Loop));
        assert_eq!(resolve(root, "/a/x", false), Err(ResolveError::Loop));
        assert_eq!(resolve(root, "/nope/x", false), Err(ResolveError::NotFound));
        fs::write(root.join("f"), "x").unwrap();
        assert_eq!(resolve(root, "/f/x", false), Err(ResolveError::NotFound));
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn read_capped_refuses_large_files_and_directories() {
        let tmp = tmp("cap");
        let root = tmp.path();
        fs::write(root.join("big"), vec![b'a'; 11]).unwrap();
        assert!(read_capped(&root.join("big"), 10).is_err());
        assert_eq!(read_capped(&root.join("big"), 11).unwrap().len(), 11);
        assert_eq!(
            read_capped(root, 10).unwrap_err().to_string(),
            "is a directory (EISDIR)"
        );
        fs::remove_dir_all(root).unwrap();
    }
}
