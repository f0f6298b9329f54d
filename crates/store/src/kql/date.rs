//! Dates in queries: RFC 3339 or `YYYY-MM-DD`, to Unix seconds.

/// Parses `YYYY-MM-DD` (UTC midnight) or an RFC 3339 time
/// (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`) into Unix seconds. Fractions are dropped.
/// Returns `None` for anything else, including impossible dates.
pub fn parse_date(s: &str) -> Option<i64> {
    parse_parts(s).map(|t| t.seconds)
}

/// A time read from a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct QueryTime {
    /// Whole Unix seconds.
    pub seconds: i64,
    /// The fraction of a second written after them (0 when none).
    pub fraction: f64,
    /// Written as `YYYY-MM-DD`: the whole (UTC) day starting at `seconds`.
    pub whole_day: bool,
}

impl QueryTime {
    /// The instant, fraction included.
    pub fn instant(self) -> f64 {
        self.seconds as f64 + self.fraction
    }
}

/// Like [`parse_date`], keeping the fraction and whether a whole day was meant.
pub(crate) fn parse_query_time(s: &str) -> Option<QueryTime> {
    parse_parts(s)
}

fn parse_parts(s: &str) -> Option<QueryTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    // The calendar (month lengths, leap years) is jiff's.
    let date = jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    let mut secs = jiff::tz::TimeZone::UTC
        .to_timestamp(date.at(0, 0, 0, 0))
        .ok()?
        .as_second();
    if b.len() == 10 {
        return Some(QueryTime {
            seconds: secs,
            fraction: 0.0,
            whole_day: true,
        });
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    secs += h * 3600 + m * 60 + sec;
    let mut i = 19;
    let mut fraction = 0.0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        fraction = format!("0.{}", &s[start..i]).parse().ok()?;
    }
    let time = |seconds| {
        Some(QueryTime {
            seconds,
            fraction,
            whole_day: false,
        })
    };
    match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => time(secs),
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = oh * 3600 + om * 60;
            time(if sign == b'+' {
                secs - offset
            } else {
                secs + offset
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn parses_dates_and_rfc3339_times_and_agrees_with_the_model_formatter() {
        for t in [0, 951_782_400, 1_795_714_560, 4_102_444_800] {
            assert_eq!(parse_date(&kspm_model::rfc3339(t)), Some(t));
        }
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(
            parse_date("2026-11-26T19:36:00.123+02:00"),
            Some(1_795_714_560)
        );
        assert_eq!(parse_date("2026-11-26t17:36:00z"), Some(1_795_714_560));
    }

    #[test]
    fn query_times_keep_fractions_and_whole_days() {
        let t = super::parse_query_time("2026-11-26T17:36:00.25Z").unwrap();
        assert_eq!(
            (t.seconds, t.fraction, t.whole_day),
            (1_795_714_560, 0.25, false)
        );
        assert_eq!(t.instant(), 1_795_714_560.25);
        assert!(super::parse_query_time("2026-11-26").unwrap().whole_day);
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-1-01",
            "2026-01-01T",
            "2026-01-01T10:00",
            "2026-01-01T10:00:00",
            "2026-01-01T25:00:00Z",
            "2026-01-01T10:00:00.Z",
            "2026-01-01T10:00:00+0200",
            "２０２６-01-01",
            "2026-01-01x",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
