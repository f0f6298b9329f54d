//! Query text helpers for the findings page: filter pills are the top-level `and` clauses of
//! the KQL query, and links add a clause or drop one. The store parses and validates the query;
//! this module only splits and joins text, respecting quotes and parentheses.

/// Splits `query` into its top-level `and` clauses. Returns `None` when the query has a
/// top-level `or` (its clauses cannot be removed one by one), and an empty list for a blank
/// query.
pub(crate) fn split_clauses(query: &str) -> Option<Vec<String>> {
    let mut clauses = Vec::new();
    let mut start = 0;
    for (pos, word) in top_level_words(query) {
        if word.eq_ignore_ascii_case("or") {
            return None;
        }
        if word.eq_ignore_ascii_case("and") {
            clauses.push(query[start..pos].trim().to_owned());
            start = pos + word.len();
        }
    }
    clauses.push(query[start..].trim().to_owned());
    clauses.retain(|c| !c.is_empty());
    Some(clauses)
}

/// Joins clauses with `and`.
pub(crate) fn join_clauses(clauses: &[String]) -> String {
    clauses.join(" and ")
}

/// `query` narrowed by one more clause.
pub(crate) fn and_clause(query: &str, clause: &str) -> String {
    let query = query.trim();
    if query.is_empty() {
        return clause.to_owned();
    }
    match split_clauses(query) {
        Some(mut clauses) => {
            if !clauses.iter().any(|c| c == clause) {
                clauses.push(clause.to_owned());
            }
            join_clauses(&clauses)
        }
        None => format!("({query}) and {clause}"),
    }
}

/// `field : "value"` with the value quoted for KQL.
pub(crate) fn field_is(field: &str, value: &str) -> String {
    format!("{field} : {}", kspm_store::kql::quote(value))
}

/// Bare words outside quotes and parentheses, with their byte offsets.
fn top_level_words(query: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    let mut word_start: Option<usize> = None;
    let bytes = query.as_bytes();
    let mut flush = |start: &mut Option<usize>, end: usize, depth: usize| {
        if let Some(s) = start.take()
            && depth == 0
        {
            words.push((s, &query[s..end]));
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        if in_quote {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                flush(&mut word_start, i, depth);
                in_quote = true;
            }
            b'(' => {
                flush(&mut word_start, i, depth);
                depth += 1;
            }
            b')' => {
                flush(&mut word_start, i, depth);
                depth = depth.saturating_sub(1);
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => flush(&mut word_start, i, depth),
            _ => {
                if word_start.is_none() {
                    word_start = Some(i);
                }
            }
        }
    }
    flush(&mut word_start, bytes.len(), depth);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_split_on_top_level_and_only() {
        let q = r#"rule.section : "A and B" and (x : 1 and y : 2) AND result.evaluation : failed"#;
        assert_eq!(
            split_clauses(q).unwrap(),
            vec![
                r#"rule.section : "A and B""#,
                "(x : 1 and y : 2)",
                "result.evaluation : failed"
            ]
        );
    }

    #[test]
    fn top_level_or_is_not_split() {
        assert_eq!(split_clauses("a : 1 or b : 2 and c : 3"), None);
        assert_eq!(
            split_clauses("(a : 1 or b : 2) and c : 3").unwrap(),
            vec!["(a : 1 or b : 2)", "c : 3"]
        );
    }

    #[test]
    fn blank_query_has_no_clauses() {
        assert!(split_clauses("   ").unwrap().is_empty());
    }

    #[test]
    fn words_containing_and_are_not_operators() {
        assert_eq!(
            split_clauses("resource.name : android and x : sandor").unwrap(),
            vec!["resource.name : android", "x : sandor"]
        );
    }

    #[test]
    fn and_clause_adds_once_and_wraps_or_queries() {
        assert_eq!(and_clause("", "a : 1"), "a : 1");
        assert_eq!(and_clause("a : 1", "b : 2"), "a : 1 and b : 2");
        assert_eq!(and_clause("a : 1 and b : 2", "b : 2"), "a : 1 and b : 2");
        assert_eq!(
            and_clause("a : 1 or b : 2", "c : 3"),
            "(a : 1 or b : 2) and c : 3"
        );
    }

    #[test]
    fn field_is_quotes_the_value() {
        assert_eq!(
            field_is("resource.name", r#"a"b"#),
            r#"resource.name : "a\"b""#
        );
        assert_eq!(
            field_is("resource.name", "<script>"),
            r#"resource.name : "<script>""#
        );
    }
}
