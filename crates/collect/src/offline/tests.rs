use super::*;

fn load_str(file: &str, text: &str) -> Loaded {
    let mut loaded = Loaded::default();
    load_bytes(file, text.as_bytes(), LoadOptions::default(), &mut loaded);
    loaded
}

fn names(loaded: &Loaded) -> Vec<String> {
    loaded
        .objects
        .iter()
        .map(|o| o.object["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn helm_output_with_comment_only_and_empty_documents_is_read() {
    let text = "---\n# Source: chart/templates/a.yaml\n---\n# Source: chart/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";
    let loaded = load_str("helm.yaml", text);
    assert_eq!(names(&loaded), ["sa", "cm"]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.objects[1].origin.line, 12);
}

#[test]
fn broken_document_is_reported_and_the_others_still_load() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: [name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let loaded = load_str("mixed.yaml", text);
    assert_eq!(names(&loaded), ["a", "c"]);
    let err = &loaded.diagnostics[0];
    assert_eq!((err.severity, err.document), (Severity::Error, Some(1)));
    assert!(err.line.unwrap() >= 7, "{err}");
    assert!(err.to_string().starts_with("error: mixed.yaml:"), "{err}");
}

#[test]
fn kubectl_lists_are_unwrapped_and_raw_api_lists_get_their_item_kind() {
    let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p1, namespace: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s1, namespace: a}\n";
    let loaded = load_str("list.yaml", yaml);
    assert_eq!(names(&loaded), ["p1", "s1"]);
    assert_eq!(loaded.objects[1].origin.line, 7);
    let json = r#"{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"p2"}}]}"#;
    let loaded = load_str("pods.json", json);
    assert_eq!(loaded.objects[0].object["kind"], "Pod");
    assert_eq!(loaded.objects[0].object["apiVersion"], "v1");
}

#[test]
fn non_kubernetes_documents_are_skipped_with_a_note() {
    let loaded = load_str(
        "values.yaml",
        "replicaCount: 1\nimage: {tag: x}\n---\n- a\n- b\n",
    );
    assert!(loaded.objects.is_empty());
    assert_eq!(loaded.diagnostics.len(), 2);
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Note)
    );
    assert!(loaded.diagnostics[0].message.contains("no `kind`"));
}

#[test]
fn binary_empty_and_non_utf8_inputs_get_clear_messages() {
    let mut loaded = Loaded::default();
    load_bytes(
        "bin",
        b"\x7fELF\x00\x01",
        LoadOptions::default(),
        &mut loaded,
    );
    load_bytes(
        "latin1.yaml",
        b"name: caf\xe9\n",
        LoadOptions::default(),
        &mut loaded,
    );
    load_bytes("empty.yaml", b"", LoadOptions::default(), &mut loaded);
    let msgs: Vec<_> = loaded
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(msgs[0].contains("binary"), "{msgs:?}");
    assert!(msgs[1].contains("not UTF-8"), "{msgs:?}");
    assert!(msgs[2].contains("empty"), "{msgs:?}");
}

#[test]
fn oversized_inputs_are_refused_with_the_limit_named() {
    let mut loaded = Loaded::default();
    load_bytes(
        "big.yaml",
        &[b'a'; 64],
        LoadOptions { max_file_size: 10 },
        &mut loaded,
    );
    assert!(loaded.diagnostics[0].message.contains("size limit"));
}

#[test]
fn duplicate_keys_point_at_the_document_and_line() {
    let loaded = load_str(
        "dup.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    );
    assert!(loaded.objects.is_empty());
    let d = &loaded.diagnostics[0];
    assert_eq!((d.document, d.line), (Some(0), Some(5)));
    assert!(d.message.contains("duplicate key `name`"));
}

#[test]
fn objects_are_sanitised_on_the_way_in() {
    let loaded = load_str(
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {pw: aHVudGVy}\n",
    );
    assert_eq!(
        loaded.objects[0].to_value()["data"]["pw"],
        crate::sanitize::REDACTED
    );
}

#[test]
fn document_split_keeps_marker_lines_and_numbers() {
    let docs = split_documents("a: 1\n---\nb: 2\n...\nc: 3\n");
    assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), vec![1, 2, 5]);
}

/// A Pod whose `args` expand through aliases to about 900,000 values: under the per-file
/// budget alone, in about 600 bytes of YAML.
fn amplifying_pod(name: &str) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    );
    for i in 1..5 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!(
            "    a{i}: &a{i} [{}]\n",
            vec![prev; 10].join(", ")
        ));
    }
    text.push_str("spec:\n  containers:\n  - name: app\n    image: nginx\n    args: [");
    text.push_str(&["*a4"; 7].join(", "));
    text.push_str("]\n");
    text
}

#[test]
fn alias_expansion_is_budgeted_per_file_and_fails_only_the_documents_past_it() {
    let text = (0..10)
        .map(|i| amplifying_pod(&format!("bomb-{i}")))
        .collect::<Vec<_>>()
        .join("---\n");
    assert!(text.len() < 8 * 1024, "{} bytes", text.len());
    let loaded = load_str("bombs.yaml", &text);
    assert_eq!(names(&loaded), ["bomb-0"]);
    let errors: Vec<&Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 9, "{errors:?}");
    for (d, document) in errors.iter().zip(1..) {
        assert_eq!(d.file, "bombs.yaml");
        assert_eq!(d.document, Some(document));
        assert!(
            d.message.contains("alias expansion exceeds budget") && d.message.contains("this file"),
            "{d}"
        );
    }
    // What was read stays bounded by the budget: one document's worth.
    let raw: usize = loaded.objects.iter().map(|o| o.raw.as_str().len()).sum();
    assert!(raw < 10 * 1024 * 1024, "{raw} bytes of objects");
    assert!(loaded.aliases_expanded <= ALIAS_VALUES_PER_FILE);
    // Each failed Pod is a gap: rules on Pods cannot call the input complete.
    assert_eq!(loaded.gaps.len(), 9);
}

#[test]
fn alias_expansion_is_budgeted_per_run_across_files() {
    let mut loaded = Loaded::default();
    let files = ALIAS_VALUES_PER_RUN / ALIAS_VALUES_PER_FILE + 1;
    for f in 0..files {
        let text = amplifying_pod(&format!("pod-{f}"));
        load_bytes(
            &format!("f{f}.yaml"),
            text.as_bytes(),
            LoadOptions::default(),
            &mut loaded,
        );
    }
    // Each file alone is under its own budget; the last one finds the run's spent.
    assert_eq!(loaded.objects.len(), files - 1);
    let last = loaded
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("the last file overdraws the run's budget");
    assert_eq!(last.file, format!("f{}.yaml", files - 1));
    assert!(last.message.contains("this run"), "{last}");
    assert!(loaded.aliases_expanded <= ALIAS_VALUES_PER_RUN);
}

#[test]
fn special_files_are_named_and_skipped_and_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let status = std::process::Command::new("mkfifo")
        .arg(d.join("pipe.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.yaml")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(d.join("socket.yaml")).unwrap();
    std::fs::write(
        d.join("good.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\n",
    )
    .unwrap();

    // On a thread with a deadline: a FIFO opened the ordinary way would never return.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = d.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(load(&[path], LoadOptions::default()));
    });
    let loaded = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("loading finishes instead of waiting on a special file");
    assert_eq!(names(&loaded), ["good"]);
    let mut errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let name = Path::new(&d.file).file_name().unwrap().to_string_lossy();
            format!("{name}: {}", d.message)
        })
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            "pipe.yaml: not a regular file (a FIFO); not read",
            "socket.yaml: not a regular file (a socket); not read",
            "zero.yaml: not a regular file (a character device); not read",
        ]
    );
}

#[test]
fn the_size_limit_holds_for_files_whatever_their_metadata_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n",
    )
    .unwrap();
    let loaded = load(&[file], LoadOptions { max_file_size: 16 });
    assert!(loaded.objects.is_empty());
    assert_eq!(
        loaded.diagnostics[0].message,
        "file is above the 16 bytes limit; not read (raise it with --max-file-size)"
    );
}
