//! Time as findings write it: RFC 3339 in UTC, whole seconds. Backed by `jiff`, the one
//! date/time library of the workspace.

/// Formats Unix seconds as an RFC 3339 UTC timestamp (`2026-11-26T19:26:00Z`). Seconds outside
/// the range jiff supports (about years -9999 to 9999) are clamped to it.
pub fn rfc3339(unix_secs: i64) -> String {
    let clamped = unix_secs.clamp(
        jiff::Timestamp::MIN.as_second() + 1,
        jiff::Timestamp::MAX.as_second() - 1,
    );
    jiff::Timestamp::from_second(clamped)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string()
}

/// The current time in Unix seconds; `SOURCE_DATE_EPOCH` (the reproducible-builds convention)
/// overrides it, so that a scan's output can be compared byte for byte across runs.
pub fn unix_now() -> i64 {
    if let Some(fixed) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return fixed;
    }
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_714_560), "2026-11-26T17:36:00Z");
        assert_eq!(rfc3339(-86_400), "1969-12-31T00:00:00Z");
    }

    #[test]
    fn far_instants_are_clamped_not_wrapped() {
        assert!(
            rfc3339(i64::MAX).starts_with("9999-12-"),
            "{}",
            rfc3339(i64::MAX)
        );
        assert!(
            rfc3339(i64::MIN).starts_with("-009999-01-"),
            "{}",
            rfc3339(i64::MIN)
        );
    }
}
