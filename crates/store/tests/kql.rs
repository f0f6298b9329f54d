//! The query language: parse errors, translation, and that the parser never panics.

use kspm_store::kql::{self, Expr, FIELDS, FieldKind, SqlParam};
use proptest::prelude::*;

#[test]
fn every_documented_field_parses_with_a_value_of_its_type() {
    for f in FIELDS {
        let value = match f.kind {
            FieldKind::Keyword | FieldKind::Text => "x*",
            FieldKind::Outcome => "failed",
            FieldKind::Status => "excepted",
            FieldKind::Number => "5",
            FieldKind::Date => "\"2026-01-01T00:00:00Z\"",
            FieldKind::Boolean => "true",
        };
        let q = format!("{} : {value}", f.name);
        assert!(matches!(kql::parse(&q), Ok(Expr::Match { .. })), "{q}");
        if f.kind.has_ranges() {
            assert!(kql::parse(&format!("{} >= {value}", f.name)).is_ok());
        }
        assert!(!f.description.is_empty());
    }
    for required in [
        "rule.id",
        "rule.name",
        "rule.section",
        "rule.benchmark.id",
        "rule.benchmark.rule_number",
        "result.evaluation",
        "resource.id",
        "resource.name",
        "resource.type",
        "resource.sub_type",
        "orchestrator.cluster.id",
        "orchestrator.cluster.name",
        "orchestrator.resource.namespace",
        "host.name",
        "@timestamp",
        "last_seen",
        "first_seen",
        "excepted",
    ] {
        assert!(kql::field_named(required).is_some(), "{required}");
    }
}

#[test]
fn error_table() {
    let cases = [
        ("unknown.field : x", 0, "unknown field"),
        ("rule.id : \"open", 10, "unterminated quoted value"),
        (
            "rule.id : a or )",
            15,
            "expected a field or a value, found `)`",
        ),
        ("rule.id :", 9, "expected a value"),
        ("@timestamp < 2026-02-30", 13, "bad range value"),
        ("first_seen >= \"soon\"", 14, "bad range value"),
        ("resource.name > 3", 0, "needs a number or date field"),
        ("rule.id : x\\", 11, "escapes nothing"),
        (")", 0, "expected a field or a value, found `)`"),
    ];
    for (q, pos, msg) in cases {
        let e = kql::parse(q).unwrap_err();
        assert_eq!(e.position, pos, "{q}: {e}");
        assert!(e.message.contains(msg), "{q}: {e}");
    }
}

#[test]
fn translation_binds_every_value() {
    let e = kql::parse(
        r#"rule.section : "API Server" and (resource.name : web* or not host.name : "n'1")"#,
    )
    .unwrap();
    let sql = kql::translate(&e, 0);
    assert_eq!(
        sql.sql,
        "(f.section = ? AND (f.rowid IN (SELECT t.rowid FROM findings t WHERE t.resource_name \
         IN (SELECT d.value FROM text_values d WHERE d.col = 4 AND d.id IN (SELECT rowid FROM \
         text_values_fts WHERE text_values_fts MATCH ?) AND d.value LIKE ? ESCAPE '\\')) \
         OR NOT COALESCE(f.host = ?, 0)))"
    );
    assert_eq!(
        sql.params,
        vec![
            SqlParam::Text("API Server".into()),
            SqlParam::Text("\"web\"".into()),
            SqlParam::Text("web%".into()),
            SqlParam::Text("n'1".into())
        ]
    );
}

fn query_chars() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "rule.id",
        "rule.section",
        "last_seen",
        "excepted",
        "result.evaluation",
        ":",
        " : ",
        "(",
        ")",
        "{",
        "}",
        "\"",
        "\\",
        "\\*",
        "\\:",
        "\\and",
        "\\NOT",
        "\\n",
        "\\u0041",
        "\\uD83D",
        "*",
        " and ",
        " AND ",
        " or ",
        " not ",
        "not ",
        "\u{a0}and\u{a0}",
        " ",
        "\t",
        ">",
        ">=",
        "<",
        "<=",
        "2026-01-01",
        "\"2026-01-01T00:00:00Z\"",
        "x",
        "API Server",
        "é",
        "true",
        "null",
        "5",
        "failed",
        "%",
        "_",
        "?",
        "[",
    ]);
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

/// Queries made of clause-like pieces (some ending in loose keywords) and connectives.
fn clause_queries() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "rule.id : x",
        "rule.section : API Server",
        "rule.section : API Server or",
        "rule.id : a and",
        "host.name : n not",
        "resource.name : cannot",
        "not rule.id : y",
        "(rule.id : a or rule.id : b)",
        "rule.id : (a or not b)",
        "rule.section : \"x and y\"",
        "rule.section : a \\and b",
        "API Server",
        "privileged",
        "or x",
        "and",
        "not",
        "*",
        "x*",
    ]);
    let joints = prop::sample::select(vec![" and ", " AND ", "\u{a0}and ", "  and\t", " or "]);
    (
        pieces.clone(),
        prop::collection::vec((joints, pieces), 0..6),
    )
        .prop_map(|(first, rest)| {
            let mut q = first.to_owned();
            for (joint, piece) in rest {
                q.push_str(joint);
                q.push_str(piece);
            }
            q
        })
}

/// The reading of each clause alone, joined as `join_clauses` joins them.
fn reading_of_clauses(clauses: &[String]) -> String {
    let readings: Vec<String> = clauses
        .iter()
        .map(|c| kql::read(c).expect("a clause reads alone").to_string())
        .collect();
    match readings.len() {
        0 => "all".to_owned(),
        1 => readings[0].clone(),
        _ => format!("and({})", readings.join(", ")),
    }
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_text(s in "\\PC{0,80}") {
        let _ = kql::parse(&s);
    }

    #[test]
    fn parser_never_panics_on_query_like_text_and_errors_point_inside(s in query_chars()) {
        match kql::parse(&s) {
            Ok(e) => {
                let sql = kql::translate(&e, 0);
                prop_assert_eq!(sql.sql.matches('?').count(), sql.params.len());
            }
            Err(e) => prop_assert!(e.position <= s.chars().count(), "{}: {}", s, e),
        }
    }

    #[test]
    fn quoted_values_read_back_exactly(v in "\\PC{0,40}") {
        let q = format!("rule.section : {}", kql::quote(&v));
        let node = kql::read(&q).unwrap();
        let kql::Node::Is { value, .. } = node else { panic!("{q}") };
        prop_assert_eq!(value.value, kql::LitValue::Text(v));
    }

    #[test]
    fn clauses_joined_again_read_as_they_read_alone(
        s in prop_oneof![query_chars(), clause_queries()],
        keep in any::<u32>(),
    ) {
        let Some(clauses) = kql::clauses(&s) else { return Ok(()) };
        // The whole query reads as its clauses do.
        prop_assert_eq!(kql::read(&s).unwrap().to_string(), reading_of_clauses(&clauses));
        // Any subset of them (what dropping filter pills leaves) too, also with one more
        // clause after them (what a "narrow to this group" link adds).
        let mut subset: Vec<String> = clauses
            .iter()
            .enumerate()
            .filter(|(i, _)| keep & (1 << (i % 32)) != 0)
            .map(|(_, c)| c.clone())
            .collect();
        for _ in 0..2 {
            let joined = kql::join_clauses(&subset);
            let reading = kql::read(&joined);
            prop_assert!(reading.is_ok(), "{:?} from {:?}: {:?}", joined, s, reading);
            prop_assert_eq!(reading.unwrap().to_string(), reading_of_clauses(&subset));
            subset.push("rule.id : z".to_owned());
        }
    }
}
