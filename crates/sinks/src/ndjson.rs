//! `ndjson`: one compact finding document per line, for log shippers and `jq -c`.

use std::io::Write;

use kspm_model::{Finding, ResourceFindings};

use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// Writes each finding as compact JSON followed by a newline, as findings arrive.
pub struct NdjsonSink<W: Write> {
    out: W,
    first: bool,
    delivered: Delivery,
}

impl<W: Write> NdjsonSink<W> {
    /// NDJSON on `out` (pass a buffered writer).
    pub fn new(out: W) -> NdjsonSink<W> {
        NdjsonSink {
            out,
            first: true,
            delivered: Delivery::default(),
        }
    }
}

impl<W: Write> Sink for NdjsonSink<W> {
    fn name(&self) -> String {
        "NDJSON output".into()
    }

    fn begin(&mut self, _run: &RunInfo<'_>) -> Result<(), SinkError> {
        Ok(())
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        let findings: Vec<&Finding> = batch.iter().flat_map(|r| &r.findings).collect();
        crate::windowed::write_items(&findings, b"", &mut self.first, &mut self.out, |f, buf| {
            f.write_json(buf)?;
            buf.push(b'\n');
            Ok(())
        })
        .map_err(|e| crate::file_error(self, e, &self.delivered))?;
        self.delivered.findings += findings.len() as u64;
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        self.out
            .flush()
            .map_err(|e| crate::file_error(self, e.into(), &self.delivered))?;
        Ok(self.delivered.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Format, Report, emit};

    #[test]
    fn empty_report_writes_nothing() {
        let mut out = Vec::new();
        emit(Format::Ndjson, &Report::default(), &mut out).unwrap();
        assert!(out.is_empty());
    }
}
