//! Writing many items whose encoding is costly: encoded in parallel across a window, written in
//! order, so that memory stays bounded by the window whatever the number of items.

use std::io::Write;

use rayon::prelude::*;

use crate::Result;

/// Items encoded together before they are written.
const WINDOW: usize = 512;
/// Items one thread encodes into one buffer.
const CHUNK: usize = 128;

/// Writes `encode` of every item, in order, with `separator` between two items (not before the
/// first item ever written: `first` carries that across calls, so a stream written in several
/// calls reads as one).
pub(crate) fn write_items<T: Sync>(
    items: &[T],
    separator: &[u8],
    first: &mut bool,
    out: &mut dyn Write,
    encode: impl Fn(&T, &mut Vec<u8>) -> serde_json::Result<()> + Sync,
) -> Result<()> {
    for window in items.chunks(WINDOW) {
        let encoded: Vec<Vec<u8>> = window
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 4096);
                for (i, item) in chunk.iter().enumerate() {
                    if i > 0 {
                        buf.extend_from_slice(separator);
                    }
                    encode(item, &mut buf)?;
                }
                Ok(buf)
            })
            .collect::<std::result::Result<_, serde_json::Error>>()?;
        for buf in encoded {
            if !std::mem::take(first) {
                out.write_all(separator)?;
            }
            out.write_all(&buf)?;
        }
    }
    Ok(())
}

/// Appends `pretty` (pretty-printed JSON) with every line indented by `indent`: JSON text has no
/// raw newline inside strings, so indenting by lines is exact.
pub(crate) fn indented(pretty: &[u8], indent: &[u8], buf: &mut Vec<u8>) {
    for (i, line) in pretty.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            buf.push(b'\n');
        }
        buf.extend_from_slice(indent);
        buf.extend_from_slice(line);
    }
}
