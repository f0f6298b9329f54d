//! The output format names and their emitters.

use std::fmt;
use std::str::FromStr;

use crate::{Emitter, Error, JsonEmitter, JunitEmitter, NdjsonEmitter, SarifEmitter, TableEmitter};

/// An output format of `kspm scan`.
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
}

impl Format {
    /// Every format, in the order they are documented.
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Json,
        Format::Ndjson,
        Format::Sarif,
        Format::Junit,
    ];

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }

    /// Every format name, in the order of [`Format::ALL`].
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// The emitter that writes this format.
    pub fn emitter(self) -> &'static dyn Emitter {
        match self {
            Format::Table => &TableEmitter,
            Format::Json => &JsonEmitter,
            Format::Ndjson => &NdjsonEmitter,
            Format::Sarif => &SarifEmitter,
            Format::Junit => &JunitEmitter,
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
        let err = "csv".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown output format `csv` (expected one of: table, json, ndjson, sarif, junit)"
        );
    }
}
