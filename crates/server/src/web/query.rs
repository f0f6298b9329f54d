//! Query text helpers for the findings page: filter pills are the top-level `and` clauses of
//! the KQL query, and links add a clause or drop one. Clauses are found and joined by the
//! store's KQL grammar, so a pill is exactly what the search reads.

/// Splits `query` into its top-level `and` clauses, read with the store's KQL grammar.
/// Returns `None` when the query has a top-level `or` (its clauses cannot be removed one by
/// one) or does not read, and an empty list for a blank query.
pub(crate) fn split_clauses(query: &str) -> Option<Vec<String>> {
    kspm_store::kql::clauses(query)
}

/// Joins clauses with `and`, each reading back as it did alone.
pub(crate) fn join_clauses(clauses: &[String]) -> String {
    kspm_store::kql::join_clauses(clauses)
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
    fn clauses_follow_kibanas_reading_of_unquoted_values() {
        assert_eq!(
            split_clauses("rule.section : API Server and result.evaluation : failed").unwrap(),
            vec!["rule.section : API Server", "result.evaluation : failed"]
        );
        // A trailing `and` without a space after it is part of the value.
        assert_eq!(
            split_clauses("rule.section : API Server and").unwrap(),
            vec!["rule.section : API Server and"]
        );
        // Escaped quotes and parentheses outside quoted values do not open anything.
        assert_eq!(
            split_clauses(r#"rule.id : a\"b and rule.id : c\(d"#).unwrap(),
            vec![r#"rule.id : a\"b"#, r"rule.id : c\(d"]
        );
        assert_eq!(split_clauses("rule.id : (a"), None);
    }

    #[test]
    fn a_clause_added_after_a_loose_keyword_keeps_both_meanings() {
        assert_eq!(
            and_clause("rule.section : API Server or", "result.evaluation : failed"),
            "(rule.section : API Server or) and result.evaluation : failed"
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
