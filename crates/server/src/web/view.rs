//! Small view models and formatting shared by the pages: scores with their colour, times,
//! outcome tags and links. Links are built with form encoding, never by pasting data into
//! HTML; askama escapes them again when they land in an attribute.

use kspm_model::Outcome;
use kspm_store::{Counts, ScoreSlice, Status};

/// Circumference of the score ring (radius 52 in a 132×132 view box).
const RING: f64 = 2.0 * std::f64::consts::PI * 52.0;

/// A posture score ready to show: number, colour class and ring geometry.
#[derive(Debug, Clone)]
pub(crate) struct ScoreView {
    /// `72` or `–` when nothing was scored.
    pub(crate) label: String,
    /// `good` (≥ 80), `warn` (≥ 50), `bad`, or `none` when nothing was scored.
    pub(crate) class: &'static str,
    /// `stroke-dasharray` of the ring.
    pub(crate) dash: String,
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) manual: u64,
    pub(crate) error: u64,
    pub(crate) excepted: u64,
    pub(crate) disabled: u64,
}

impl ScoreView {
    pub(crate) fn new(slice: &ScoreSlice) -> ScoreView {
        ScoreView::of(&slice.counts)
    }

    pub(crate) fn of(counts: &Counts) -> ScoreView {
        let score = counts.score();
        let (label, class, filled) = match score {
            Some(s) => (format!("{}", s.floor() as i64), score_class(s), s / 100.0),
            None => ("–".to_owned(), "none", 0.0),
        };
        ScoreView {
            label,
            class,
            dash: format!("{:.1} {:.1}", filled * RING, RING),
            passed: counts.passed,
            failed: counts.failed,
            manual: counts.manual,
            error: counts.error,
            excepted: counts.excepted,
            disabled: counts.disabled,
        }
    }

    /// `72 %` or `–`.
    pub(crate) fn percent(&self) -> String {
        if self.class == "none" {
            self.label.clone()
        } else {
            format!("{} %", self.label)
        }
    }
}

/// The colour a score gets: green from 80, amber from 50, red below.
pub(crate) fn score_class(score: f64) -> &'static str {
    if score >= 80.0 {
        "good"
    } else if score >= 50.0 {
        "warn"
    } else {
        "bad"
    }
}

/// The CSS class and label of an outcome tag.
pub(crate) fn outcome_class(outcome: Outcome) -> &'static str {
    outcome.as_str()
}

/// `query and status : <status>`: the findings one count counts.
pub(crate) fn status_query(query: &str, status: Status) -> String {
    super::query::and_clause(query, &format!("status : {}", status.as_str()))
}

/// A link to the findings a count counts (disabled ones need `disabled=show`).
pub(crate) fn count_link(query: &str, status: Status) -> String {
    let q = status_query(query, status);
    if status == Status::Disabled {
        findings_link(&q, &[("disabled", "show")])
    } else {
        findings_link(&q, &[])
    }
}

/// `2026-11-26 19:26 UTC`.
pub(crate) fn time(unix_secs: i64) -> String {
    let s = kspm_model::rfc3339(unix_secs);
    // `YYYY-MM-DDTHH:MM:SSZ` → `YYYY-MM-DD HH:MM UTC`.
    match (s.get(..10), s.get(11..16)) {
        (Some(date), Some(hm)) => format!("{date} {hm} UTC"),
        _ => s,
    }
}

/// Unix seconds of the end (23:59:59 UTC) of a `YYYY-MM-DD` day (years 1970 to 9999).
pub(crate) fn parse_day_end(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i16 = parts.next()?.parse().ok()?;
    let month: i8 = parts.next()?.parse().ok()?;
    let day: i8 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let date = jiff::civil::Date::new(year, month, day).ok()?;
    let start = jiff::tz::TimeZone::UTC
        .to_timestamp(date.at(0, 0, 0, 0))
        .ok()?
        .as_second();
    Some(start + 86_399)
}

/// `/findings?q=…` plus extra parameters, form-encoded.
pub(crate) fn findings_link(query: &str, extra: &[(&str, &str)]) -> String {
    link("/findings", &[&[("q", query)], extra].concat())
}

/// `path?k=v&…`, form-encoded; empty values are left out.
pub(crate) fn link(path: &str, params: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        if !v.is_empty() {
            ser.append_pair(k, v);
        }
    }
    let qs = ser.finish();
    if qs.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{qs}")
    }
}

/// A path segment, percent-encoded.
pub(crate) fn segment(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `digits` with a comma between each group of three (`1234567` → `1,234,567`); anything but
/// plain digits is returned as it is.
pub(crate) fn grouped(digits: &str) -> String {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.to_owned();
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_colours_follow_thresholds_and_nothing_scored_is_grey() {
        let counts = Counts {
            passed: 4,
            failed: 1,
            ..Counts::default()
        };
        let v = ScoreView::of(&counts);
        assert_eq!((v.label.as_str(), v.class), ("80", "good"));
        assert_eq!(score_class(79.9), "warn");
        assert_eq!(score_class(49.9), "bad");
        let none = ScoreView::of(&Counts::default());
        assert_eq!((none.percent().as_str(), none.class), ("–", "none"));
    }

    #[test]
    fn links_are_form_encoded() {
        assert_eq!(
            findings_link(
                r#"rule.section : "API Server" and x : 1"#,
                &[("group", "rule")]
            ),
            "/findings?q=rule.section+%3A+%22API+Server%22+and+x+%3A+1&group=rule"
        );
        assert_eq!(findings_link("", &[]), "/findings");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn day_end_parses_real_dates_only() {
        assert_eq!(parse_day_end("1970-01-01"), Some(86_399));
        let t = parse_day_end("2026-11-26").unwrap();
        assert_eq!(time(t), "2026-11-26 23:59 UTC");
        assert_eq!(parse_day_end("2026-02-31"), None);
        assert_eq!(parse_day_end("tomorrow"), None);
    }

    #[test]
    fn counts_get_a_comma_every_three_digits_and_other_text_is_left_alone() {
        for (n, shown) in [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("10000", "10,000"),
            ("123456", "123,456"),
            ("1234567", "1,234,567"),
            ("", ""),
            ("12a", "12a"),
            ("-1000", "-1000"),
        ] {
            assert_eq!(grouped(n), shown, "{n}");
        }
    }
}
