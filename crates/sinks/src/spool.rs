//! A disk spool: batches written to files before they are sent and removed once the
//! destination acknowledged them, so that they survive an outage of the destination and a
//! restart of the process. It knows nothing of what the bytes are; any destination that sends
//! batches (Elasticsearch, a kspm server) can use it.
//!
//! Layout: one file per batch, `<cycle>.<batch:08>.<items>.batch`, written to a `.tmp` name
//! then renamed, so a crash leaves either a whole batch or none. `cycle` is a name that sorts
//! in time order (the sink starts it with the cycle's Unix start time), so the oldest cycle
//! is the first in name order. The spool is bounded: when a new batch would not fit, the
//! oldest cycle's batches are dropped (the batches of the current cycle last), and every
//! dropped batch and item is counted and logged.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One spooled batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledBatch {
    /// The cycle it belongs to.
    pub cycle: String,
    /// Its number inside the cycle.
    pub seq: u64,
    /// How many items (documents) it holds.
    pub items: u64,
    /// Its size in bytes.
    pub bytes: u64,
    path: PathBuf,
}

/// What the spool had to throw away to stay within its bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolLoss {
    /// Batches dropped.
    pub batches: u64,
    /// Items in them.
    pub items: u64,
}

/// A bounded directory of batches waiting for their destination.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    used: u64,
    lost: SpoolLoss,
}

impl Spool {
    /// Opens (creating it if needed) the spool in `dir`, holding at most `max_bytes`. Batches
    /// left by an earlier process are kept; half-written ones are removed.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Spool> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let mut spool = Spool {
            dir,
            max_bytes,
            used: 0,
            lost: SpoolLoss::default(),
        };
        for entry in std::fs::read_dir(&spool.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                let _ = std::fs::remove_file(&path);
            }
        }
        spool.used = spool.pending()?.iter().map(|b| b.bytes).sum();
        Ok(spool)
    }

    /// The spool's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes held.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// What was dropped to stay within the bound since the spool was opened.
    pub fn lost(&self) -> SpoolLoss {
        self.lost
    }

    /// Every batch waiting, oldest cycle first, in batch order.
    pub fn pending(&self) -> Result<Vec<SpooledBatch>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = name.strip_suffix(".batch") else {
                continue;
            };
            let mut parts = stem.rsplitn(3, '.');
            let (Some(items), Some(seq), Some(cycle)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(items), Ok(seq)) = (items.parse(), seq.parse()) else {
                continue;
            };
            out.push(SpooledBatch {
                cycle: cycle.to_string(),
                seq,
                items,
                bytes: entry.metadata()?.len(),
                path,
            });
        }
        out.sort_by(|a, b| (&a.cycle, a.seq).cmp(&(&b.cycle, b.seq)));
        Ok(out)
    }

    /// Writes a batch of `items` items. When it does not fit, the oldest batches are dropped
    /// first (whole earlier cycles before the current one), counted in [`Spool::lost`] and
    /// logged; a batch larger than the whole spool is refused.
    pub fn push(
        &mut self,
        cycle: &str,
        seq: u64,
        items: u64,
        bytes: &[u8],
    ) -> Result<SpooledBatch> {
        if cycle.is_empty() || cycle.contains(['/', '\\']) || cycle.starts_with('.') {
            return Err(Error::Config(format!("invalid spool cycle name `{cycle}`")));
        }
        let size = bytes.len() as u64;
        if size > self.max_bytes {
            return Err(Error::Config(format!(
                "a batch of {size} bytes is larger than the whole spool ({} bytes)",
                self.max_bytes
            )));
        }
        if self.used + size > self.max_bytes {
            self.make_room(size)?;
        }
        let name = format!("{cycle}.{seq:08}.{items}.batch");
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        self.used += size;
        Ok(SpooledBatch {
            cycle: cycle.to_string(),
            seq,
            items,
            bytes: size,
            path,
        })
    }

    fn make_room(&mut self, needed: u64) -> Result<()> {
        let pending = self.pending()?;
        let oldest_cycle = pending.first().map(|b| b.cycle.clone());
        let full_warning = self.lost.batches == 0;
        let mut dropped = SpoolLoss::default();
        for batch in pending {
            if self.used + needed <= self.max_bytes {
                break;
            }
            self.remove(&batch)?;
            dropped.batches += 1;
            dropped.items += batch.items;
        }
        self.lost.batches += dropped.batches;
        self.lost.items += dropped.items;
        if full_warning {
            tracing::warn!(
                "the spool at {} is full ({} bytes): dropping the oldest batches to make room",
                self.dir.display(),
                self.max_bytes
            );
        }
        tracing::warn!(
            "spool full: dropped {} batches ({} documents) starting with cycle {}; lost so far: {} batches, {} documents",
            dropped.batches,
            dropped.items,
            oldest_cycle.as_deref().unwrap_or("?"),
            self.lost.batches,
            self.lost.items
        );
        Ok(())
    }

    /// Reads a batch back.
    pub fn read(&self, batch: &SpooledBatch) -> Result<Vec<u8>> {
        Ok(std::fs::read(&batch.path)?)
    }

    /// Removes a batch the destination acknowledged.
    pub fn ack(&mut self, batch: &SpooledBatch) -> Result<()> {
        self.remove(batch)
    }

    fn remove(&mut self, batch: &SpooledBatch) -> Result<()> {
        match std::fs::remove_file(&batch.path) {
            Ok(()) => {
                self.used = self.used.saturating_sub(batch.bytes);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_survive_reopening_in_cycle_and_batch_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.push("000000000200-b", 1, 2, b"second").unwrap();
        spool.push("000000000100-a", 0, 1, b"first").unwrap();
        spool.push("000000000200-b", 0, 3, b"zeroth").unwrap();
        std::fs::write(dir.path().join("x.00000000.1.batch.tmp"), b"half").unwrap();
        drop(spool);
        let mut spool = Spool::open(dir.path(), 1 << 20).unwrap();
        let pending = spool.pending().unwrap();
        let order: Vec<(String, u64, u64)> = pending
            .iter()
            .map(|b| (b.cycle.clone(), b.seq, b.items))
            .collect();
        assert_eq!(
            order,
            vec![
                ("000000000100-a".into(), 0, 1),
                ("000000000200-b".into(), 0, 3),
                ("000000000200-b".into(), 1, 2)
            ]
        );
        assert_eq!(spool.read(&pending[0]).unwrap(), b"first");
        assert_eq!(spool.used(), 5 + 6 + 6);
        spool.ack(&pending[0]).unwrap();
        assert_eq!(spool.pending().unwrap().len(), 2);
        assert_eq!(spool.used(), 12);
        assert!(!dir.path().join("x.00000000.1.batch.tmp").exists());
    }

    #[test]
    fn a_full_spool_drops_the_oldest_cycle_first_and_counts_the_loss() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 30).unwrap();
        spool.push("1-old", 0, 4, &[b'a'; 10]).unwrap();
        spool.push("1-old", 1, 4, &[b'b'; 10]).unwrap();
        spool.push("2-new", 0, 5, &[b'c'; 10]).unwrap();
        spool.push("2-new", 1, 6, &[b'd'; 15]).unwrap();
        assert_eq!(
            spool.lost(),
            SpoolLoss {
                batches: 2,
                items: 8
            }
        );
        let left: Vec<String> = spool
            .pending()
            .unwrap()
            .iter()
            .map(|b| format!("{}.{}", b.cycle, b.seq))
            .collect();
        assert_eq!(left, vec!["2-new.0", "2-new.1"]);
        assert!(spool.push("3", 0, 1, &[0; 31]).is_err());
    }
}
