//! The file formats `kspm scan --output` writes, and the sink of each.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use crate::{Error, JsonSink, JunitSink, NdjsonSink, SarifSink, Sink, TableSink};

/// A file format of `kspm scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Human-readable findings grouped by resource, with a score footer.
    Table,
    /// A pretty-printed JSON array of finding documents.
    Json,
    /// One compact finding document per line.
    Ndjson,
    /// SARIF 2.1.0, one run.
    Sarif,
    /// JUnit XML, one test suite per benchmark section.
    Junit,
    /// CSV, one row per finding, spreadsheet-safe.
    Csv,
}

impl Format {
    /// Every format, in the order they are documented.
    pub const ALL: [Format; 6] = [
        Format::Table,
        Format::Json,
        Format::Ndjson,
        Format::Sarif,
        Format::Junit,
        Format::Csv,
    ];

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Csv => "csv",
        }
    }

    /// Every format name, in the order of [`Format::ALL`].
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// The sink that writes this format to `out` (pass a buffered writer).
    pub fn sink<'a, W: Write + 'a>(self, out: W) -> Box<dyn Sink + 'a> {
        match self {
            Format::Table => Box::new(TableSink::new(out)),
            Format::Json => Box::new(JsonSink::new(out)),
            Format::Ndjson => Box::new(NdjsonSink::new(out)),
            Format::Sarif => Box::new(SarifSink::new(out)),
            Format::Junit => Box::new(JunitSink::new(out)),
            Format::Csv => Box::new(crate::csv::CsvSink::new(out)),
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    /// Parses a format name; case does not matter.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownFormat { name: s.to_owned() })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_through_from_str_and_display() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
            assert_eq!(format.to_string(), format.name());
        }
        assert_eq!("SARIF".parse::<Format>().unwrap(), Format::Sarif);
    }

    #[test]
    fn unknown_format_error_lists_the_known_names() {
        let err = "xml".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown output format `xml` (expected one of: table, json, ndjson, sarif, junit, csv)"
        );
    }
}
