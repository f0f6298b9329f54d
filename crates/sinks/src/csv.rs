//! `csv`: one row per finding, for spreadsheets, written with the `csv` crate (RFC 4180
//! quoting, CRLF line ends). Cells that a spreadsheet would run as a formula are defused. The
//! server's CSV export writes its rows with the same [`CsvWriter`].

use std::borrow::Cow;
use std::io::Write;

use kspm_model::{Finding, ResourceFindings};

use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// A CSV writer whose every cell is [`defuse`]d.
pub struct CsvWriter<W: Write> {
    inner: ::csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// CSV on `out`: comma-separated, quoted only where needed, CRLF line ends (RFC 4180).
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter {
            inner: ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .quote_style(::csv::QuoteStyle::Necessary)
                .from_writer(out),
        }
    }

    /// Writes one record.
    pub fn record<I, S>(&mut self, cells: I) -> crate::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner
            .write_record(cells.into_iter().map(|c| defuse(c.as_ref()).into_owned()))?;
        Ok(())
    }

    /// Flushes the buffered records to the writer.
    pub fn flush(&mut self) -> crate::Result<()> {
        self.inner.flush()?;
        Ok(())
    }

    /// The writer back, flushed.
    pub fn into_inner(self) -> crate::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| crate::Error::Io(std::io::Error::other(e.to_string())))
    }
}

/// A cell a spreadsheet would evaluate as a formula (starting with `=`, `+`, `-`, `@`, tab or
/// carriage return) gets a leading `'`, so that it shows as text.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The columns of `kspm scan --output csv`.
pub const SCAN_COLUMNS: [&str; 18] = [
    "id",
    "cluster_id",
    "cluster_name",
    "scope",
    "resource_id",
    "resource_name",
    "resource_type",
    "resource_sub_type",
    "namespace",
    "host",
    "source",
    "rule_id",
    "benchmark_id",
    "rule_number",
    "section",
    "rule_name",
    "outcome",
    "evidence",
];

/// Writes the findings as CSV rows as they arrive, after a header row.
pub struct CsvSink<W: Write> {
    out: CsvWriter<W>,
    delivered: Delivery,
}

impl<W: Write> CsvSink<W> {
    /// CSV on `out`.
    pub fn new(out: W) -> CsvSink<W> {
        CsvSink {
            out: CsvWriter::new(out),
            delivered: Delivery::default(),
        }
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn name(&self) -> String {
        "CSV output".into()
    }

    fn begin(&mut self, _run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.out
            .record(SCAN_COLUMNS)
            .map_err(|e| crate::file_error(self, e, &self.delivered))
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        for group in batch {
            let scope = group.scope.to_string();
            for finding in &group.findings {
                self.out
                    .record(row(finding, &scope))
                    .map_err(|e| crate::file_error(self, e, &self.delivered))?;
                self.delivered.findings += 1;
            }
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        self.out
            .flush()
            .map_err(|e| crate::file_error(self, e, &self.delivered))?;
        Ok(self.delivered.clone())
    }
}

fn row(f: &Finding, scope: &str) -> [String; 18] {
    let object = f.orchestrator.resource.as_ref();
    [
        f.event.id.clone(),
        f.orchestrator.cluster.id.clone(),
        f.orchestrator.cluster.name.clone(),
        scope.to_owned(),
        f.resource.id.clone(),
        f.resource.name.clone(),
        f.resource.kind.clone(),
        f.resource.sub_type.clone(),
        object.and_then(|o| o.namespace.clone()).unwrap_or_default(),
        f.host.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
        f.source.as_ref().map(|s| s.to_string()).unwrap_or_default(),
        f.rule.id.to_string(),
        f.rule.benchmark.id.clone(),
        f.rule.benchmark.rule_number.clone(),
        f.rule.section.to_string(),
        f.rule.name.to_string(),
        f.outcome().as_str().to_owned(),
        f.result.evidence.as_str().to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[&str]) -> String {
        let mut w = CsvWriter::new(Vec::new());
        w.record(cells).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn csv_cells_are_quoted_only_when_needed() {
        assert_eq!(line(&["plain", "a,b"]), "plain,\"a,b\"\r\n");
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(line(&["two\nlines", ""]), "\"two\nlines\",\r\n");
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_defused() {
        assert_eq!(line(&["=1+1"]), "'=1+1\r\n");
        assert_eq!(line(&["+cmd", "-2"]), "'+cmd,'-2\r\n");
        assert_eq!(line(&["@SUM(A1)"]), "'@SUM(A1)\r\n");
        assert_eq!(line(&["\tx"]), "'\tx\r\n");
        assert_eq!(
            line(&["=HYPERLINK(\"x\")"]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
        assert_eq!(line(&["a=b"]), "a=b\r\n", "only a leading sign matters");
    }
}
