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
