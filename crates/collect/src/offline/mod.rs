//! Offline collector: Kubernetes manifests and snapshots from files, directories and stdin.
//!
//! Accepts multi-document YAML (Helm output with comment-only and empty documents included),
//! one or more JSON documents, and `kind: List` / `*List` wrappers from `kubectl get -o
//! yaml|json`. Every problem becomes a [`Diagnostic`] naming the file, document and line; the
//! other documents and files are still read.

pub mod json;

use std::io::Read;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use kspm_model::{FileLocation, RawJson};
use kspm_yaml::AliasBudget;
use serde_json::Value;

use crate::read::ReadError;
use crate::{Diagnostic, Severity};

/// Most values that YAML aliases may expand to in one file, over all its documents.
pub const ALIAS_VALUES_PER_FILE: usize = kspm_yaml::MAX_ALIAS_NODES;
/// Most values that YAML aliases may expand to in one run, over all its files.
pub const ALIAS_VALUES_PER_RUN: usize = 4 * ALIAS_VALUES_PER_FILE;

/// Limits for reading inputs.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Files larger than this many bytes are refused with a diagnostic.
    pub max_file_size: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_size: 256 * 1024 * 1024,
        }
    }
}

/// A Kubernetes object read from an input, already sanitised, kept as compact JSON text plus
/// its identity: a large snapshot never exists as a tree of every object at once.
#[derive(Debug, Clone)]
pub struct LoadedObject {
    /// The object's identity ([`kspm_model::k8s_identity`]): kind, name, namespace, owners.
    pub object: Value,
    /// The whole object, compact.
    pub raw: Arc<RawJson>,
    /// Where it came from.
    pub origin: FileLocation,
}

impl LoadedObject {
    /// Keeps a sanitised object as text plus identity.
    pub fn new(object: &Value, origin: FileLocation) -> LoadedObject {
        LoadedObject {
            object: kspm_model::k8s_identity(object),
            raw: Arc::new(RawJson::new(object)),
            origin,
        }
    }

    /// The whole object as a tree again.
    pub fn to_value(&self) -> Value {
        self.raw.to_value()
    }
}

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Kubernetes objects, in input order.
    pub objects: Vec<LoadedObject>,
    /// Problems and skipped documents.
    pub diagnostics: Vec<Diagnostic>,
    /// Kinds of objects that documents which could not be read would have added: rules that
    /// read those kinds cannot judge the rest of the inputs as complete.
    pub gaps: Vec<kspm_model::Gap>,
    /// Files read (stdin counts as one).
    pub files: usize,
    /// Values that YAML aliases expanded to so far, counted against [`ALIAS_VALUES_PER_RUN`]
    /// (a source reading several files carries it from one file's `Loaded` to the next).
    pub aliases_expanded: usize,
}

impl Loaded {
    /// Number of error diagnostics.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

/// Reads every path (`-` is stdin; directories are walked recursively for `.yaml`, `.yml` and
/// `.json` files, in sorted order).
pub fn load(paths: &[PathBuf], options: LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    for path in paths {
        let mut files = Vec::new();
        list_files(path, &mut files, &mut loaded.diagnostics);
        for file in files {
            load_path(&file, options, &mut loaded);
        }
    }
    loaded
}

/// The files an input path stands for: itself (`-` is stdin), or the manifests under a
/// directory (`.yaml`, `.yml`, `.json`, sorted, hidden entries and symlinked directories
/// skipped). Problems listing it become diagnostics.
pub fn list_files(path: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    if path.as_os_str() == "-" {
        files.push(path.to_path_buf());
    } else {
        collect_files(path, true, files, diagnostics);
    }
}

/// Reads one file (or stdin for `-`) into `loaded`.
pub fn load_path(path: &Path, options: LoadOptions, loaded: &mut Loaded) {
    if path.as_os_str() != "-" {
        return load_file(path, options, loaded);
    }
    let mut bytes = Vec::new();
    match std::io::stdin()
        .lock()
        .take(options.max_file_size + 1)
        .read_to_end(&mut bytes)
    {
        Ok(_) => load_bytes("-", &bytes, options, loaded),
        Err(e) => loaded
            .diagnostics
            .push(file_error("-", format!("cannot read standard input: {e}"))),
    }
}

fn collect_files(path: &Path, explicit: bool, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let display = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return diags.push(file_error(&display, describe_io(&e))),
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return diags.push(file_error(&display, describe_io(&e))),
        };
        entries.sort();
        for entry in entries {
            let hidden = entry
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            // Symlinked directories are not followed, so a link loop cannot trap the walk.
            let is_link_dir = std::fs::symlink_metadata(&entry)
                .is_ok_and(|m| m.file_type().is_symlink())
                && entry.is_dir();
            if !hidden && !is_link_dir {
                collect_files(&entry, false, out, diags);
            }
        }
    } else if explicit || has_manifest_extension(path) {
        out.push(path.to_path_buf());
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn load_file(path: &Path, options: LoadOptions, loaded: &mut Loaded) {
    let display = path.display().to_string();
    match crate::read::regular_file(path, options.max_file_size) {
        Ok(bytes) => load_bytes(&display, &bytes, options, loaded),
        Err(e) => {
            loaded.files += 1;
            let message = match e {
                ReadError::TooLarge(limit) => format!(
                    "file is above the {} limit; not read (raise it with --max-file-size)",
                    mebibytes(limit)
                ),
                ReadError::Io(e) => describe_io(&e),
                other => other.to_string(),
            };
            loaded.diagnostics.push(file_error(&display, message));
        }
    }
}

/// `10 MiB`, or bytes when the limit is not a whole number of MiB.
fn mebibytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads one input's bytes: YAML or JSON, one or many documents.
pub fn load_bytes(file: &str, bytes: &[u8], options: LoadOptions, loaded: &mut Loaded) {
    loaded.files += 1;
    if bytes.len() as u64 > options.max_file_size {
        return loaded.diagnostics.push(file_error(
            file,
            "input is above the size limit; not read".into(),
        ));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return loaded.diagnostics.push(file_error(
            file,
            "binary file (contains NUL bytes); not a manifest".into(),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return loaded.diagnostics.push(file_error(
                file,
                format!(
                    "not UTF-8 text (invalid byte at offset {}); not a manifest",
                    e.valid_up_to()
                ),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return loaded.diagnostics.push(Diagnostic {
            severity: Severity::Note,
            file: file.into(),
            document: None,
            line: None,
            message: "empty file".into(),
        });
    }
    let looks_json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if looks_json {
        let (docs, err) = json::parse_stream(text);
        let json_ok = err.is_none();
        // A file that starts like JSON but is YAML (a flow mapping) falls through to YAML.
        if json_ok || !docs.is_empty() || file.ends_with(".json") {
            for (i, doc) in docs.into_iter().enumerate() {
                let origin = FileLocation {
                    file: file.into(),
                    document: i,
                    line: doc.line,
                };
                match doc.items {
                    Some(items) => accept_streamed_list(doc.value, items, origin, loaded),
                    None => accept(doc.value, origin, &[], loaded),
                }
            }
            if let Some(e) = err {
                loaded.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    file: file.into(),
                    document: Some(e.document),
                    line: Some(e.line),
                    message: format!(
                        "invalid JSON: {}; the rest of the file was not read",
                        e.message
                    ),
                });
            }
            return;
        }
    }
    // One budget for the whole file, never more than what the run has left: documents that
    // each stay under a per-document limit cannot add up to an unbounded expansion.
    let run_left = ALIAS_VALUES_PER_RUN.saturating_sub(loaded.aliases_expanded);
    let mut aliases = if run_left < ALIAS_VALUES_PER_FILE {
        AliasBudget::new(run_left, "this run")
    } else {
        AliasBudget::new(ALIAS_VALUES_PER_FILE, "this file")
    };
    for (i, (start_line, chunk)) in split_documents(text).into_iter().enumerate() {
        let parsed = kspm_yaml::parse_document_within(chunk, &mut aliases);
        loaded.aliases_expanded = ALIAS_VALUES_PER_RUN - run_left + aliases.spent();
        match parsed {
            Ok(doc) => match doc.value {
                // An empty document after `---` reads as null: nothing to evaluate.
                None | Some(Value::Null) => {}
                Some(value) => {
                    let item_lines: Vec<usize> =
                        doc.item_lines.iter().map(|l| l + start_line - 1).collect();
                    let line = first_content_line(chunk) + start_line - 1;
                    accept(
                        value,
                        FileLocation {
                            file: file.into(),
                            document: i,
                            line,
                        },
                        &item_lines,
                        loaded,
                    );
                }
            },
            Err(e) => {
                let line = e.line + start_line - 1;
                if let Some(kind) = declared_kind(chunk) {
                    loaded.gaps.push(kspm_model::Gap::unreadable(
                        kspm_model::ResourceType::K8sObject,
                        kind,
                        format!("{file}:{line} (document {i}, a {kind}) is not valid YAML"),
                    ));
                }
                loaded.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    file: file.into(),
                    document: Some(i),
                    line: Some(line),
                    message: format!("invalid YAML: {}", e.message),
                })
            }
        }
    }
}

/// The `kind:` a YAML document that could not be parsed declares at its top level, if any:
/// enough to know which kind of object the scan is missing.
fn declared_kind(chunk: &str) -> Option<&str> {
    chunk.lines().find_map(|line| {
        let value = line.strip_prefix("kind:")?.trim();
        let value = value.split(" #").next().unwrap_or(value).trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        let valid = !value.is_empty()
            && value.chars().all(|c| c.is_ascii_alphanumeric())
            && value.starts_with(|c: char| c.is_ascii_uppercase());
        valid.then_some(value)
    })
}

/// Splits a YAML stream on `---` and `...` lines, keeping each document's first line number.
/// YAML forbids these markers at column 0 inside content, so a textual split is exact, and a
/// syntax error stays inside its own document.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_start = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        let is_end = bare == "..." || bare.starts_with("... ");
        if is_start || is_end {
            if offset > start || !docs.is_empty() {
                docs.push((start_line, &text[start..offset]));
            }
            if is_start {
                start = offset;
                start_line = i + 1;
            } else {
                start = offset + line.len();
                start_line = i + 2;
            }
        }
        offset += line.len();
    }
    if start < text.len() {
        docs.push((start_line, &text[start..]));
    }
    docs
}

fn first_content_line(chunk: &str) -> usize {
    chunk
        .lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map_or(1, |p| p + 1)
}

/// A `*List` document whose items were kept compact while parsing: the compact ones are
/// checked like any object, the others go through [`accept`] with the list's item kind.
fn accept_streamed_list(
    list: Value,
    items: Vec<json::Item>,
    origin: FileLocation,
    loaded: &mut Loaded,
) {
    let Value::Object(mut map) = list else {
        return;
    };
    for item in items {
        match item {
            json::Item::Compact(identity, raw) => {
                let has_name = identity
                    .get("metadata")
                    .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                if has_name {
                    loaded.objects.push(LoadedObject {
                        object: identity,
                        raw,
                        origin: origin.clone(),
                    });
                } else {
                    let kind = identity["kind"].as_str().unwrap_or_default();
                    loaded.diagnostics.push(no_name(kind, &origin));
                }
            }
            json::Item::Whole(value) => {
                // Through the usual path, as the only item of the list, so that the list's
                // kind and apiVersion are inferred for it.
                map.insert("items".into(), Value::Array(vec![value]));
                accept(Value::Object(map.clone()), origin.clone(), &[], loaded);
            }
        }
    }
}

fn no_name(kind: &str, origin: &FileLocation) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: origin.file.clone(),
        document: Some(origin.document),
        line: Some(origin.line),
        message: format!("{kind} has no metadata.name; not evaluated"),
    }
}

/// Unwraps lists and keeps Kubernetes objects; anything else becomes a note.
fn accept(value: Value, origin: FileLocation, item_lines: &[usize], loaded: &mut Loaded) {
    let note = |message: String| Diagnostic {
        severity: Severity::Note,
        file: origin.file.clone(),
        document: Some(origin.document),
        line: Some(origin.line),
        message,
    };
    let Value::Object(mut map) = value else {
        let what = match value {
            Value::Array(_) => "a list",
            Value::String(_) => "a string",
            Value::Null => "null",
            _ => "a scalar",
        };
        return loaded.diagnostics.push(note(format!(
            "skipped: not a Kubernetes object (the document is {what})"
        )));
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind.ends_with("List") && map.get("items").is_some_and(Value::is_array) {
        let api_version = map.get("apiVersion").cloned();
        let item_kind = kind
            .strip_suffix("List")
            .filter(|k| !k.is_empty())
            .map(str::to_owned);
        let Some(Value::Array(items)) = map.remove("items") else {
            return;
        };
        for (i, mut item) in items.into_iter().enumerate() {
            // Raw API list responses (PodList) leave kind and apiVersion off their items.
            if let Some(obj) = item.as_object_mut() {
                if !obj.contains_key("kind")
                    && let Some(k) = &item_kind
                {
                    obj.insert("kind".into(), Value::String(k.clone()));
                }
                if !obj.contains_key("apiVersion")
                    && let Some(v) = &api_version
                {
                    obj.insert("apiVersion".into(), v.clone());
                }
            }
            let line = item_lines.get(i).copied().unwrap_or(origin.line);
            accept(
                item,
                FileLocation {
                    line,
                    ..origin.clone()
                },
                &[],
                loaded,
            );
        }
        return;
    }
    let has_str = |k: &str| {
        map.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !has_str("kind") || !has_str("apiVersion") {
        let missing = if has_str("kind") {
            "apiVersion"
        } else {
            "kind"
        };
        return loaded.diagnostics.push(note(format!(
            "skipped: not a Kubernetes object (no `{missing}`)"
        )));
    }
    let has_name = map
        .get("metadata")
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if !has_name {
        return loaded.diagnostics.push(no_name(&kind, &origin));
    }
    let mut object = Value::Object(map);
    crate::sanitize::sanitize(&mut object);
    loaded.objects.push(LoadedObject::new(&object, origin));
}

fn file_error(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.into(),
        document: None,
        line: None,
        message,
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests;
