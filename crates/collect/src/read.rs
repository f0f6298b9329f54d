//! Reading files that may be hostile: regular files only, never more than a limit.
//!
//! A path can name a FIFO (opening it for reading waits for a writer forever), a socket, a
//! device (`/dev/zero` never ends, a terminal waits for input) or a file that grows while it is
//! read. So a file is opened without blocking, its type checked on the opened descriptor (a
//! swap between a check and the open changes nothing), and its bytes read through
//! `take(limit + 1)`: the one byte past the limit tells a file that is too large from one that
//! is exactly at it, whatever its metadata said.

use std::fs::{self, File, FileType, OpenOptions};
use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// The path names something other than a regular file: what it is, in words (`a FIFO`).
    NotRegular(&'static str),
    /// The file holds more than the limit, in bytes.
    TooLarge(u64),
    /// Opening or reading failed.
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular(what) => write!(f, "not a regular file ({what}); not read"),
            ReadError::TooLarge(limit) => write!(f, "larger than {limit} bytes; not read"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// The whole content of the regular file at `path` (symbolic links followed), at most `limit`
/// bytes.
pub fn regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    // Named before opening: opening a socket fails with a bare ENXIO, a directory opens fine.
    let before = fs::metadata(path).map_err(ReadError::Io)?;
    refuse_special(&before.file_type())?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(ReadError::Io)?;
    let opened = file.metadata().map_err(ReadError::Io)?;
    refuse_special(&opened.file_type())?;
    read_at_most(file, limit)
}

fn read_at_most(file: File, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

fn refuse_special(kind: &FileType) -> Result<(), ReadError> {
    let what = if kind.is_file() {
        return Ok(());
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "neither a file nor a directory"
    };
    Err(ReadError::NotRegular(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn special_files_are_named_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yaml");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let zero = dir.path().join("zero.yaml");
        symlink("/dev/zero", &zero).unwrap();
        let socket = dir.path().join("socket.yaml");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();

        for (path, what) in [
            (&fifo, "a FIFO"),
            (&zero, "a character device"),
            (&socket, "a socket"),
        ] {
            let err = regular_file(path, 1024).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("not a regular file ({what}); not read")
            );
        }
        assert_eq!(
            regular_file(dir.path(), 1024).unwrap_err().to_string(),
            "not a regular file (a directory); not read"
        );
    }

    #[test]
    fn the_limit_holds_whatever_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"0123456789").unwrap();
        assert_eq!(regular_file(&file, 10).unwrap(), b"0123456789");
        assert!(matches!(
            regular_file(&file, 9),
            Err(ReadError::TooLarge(9))
        ));
        // A device that never ends is bounded by the same read, even if asked for directly.
        let endless = File::open("/dev/zero").unwrap();
        assert!(matches!(
            read_at_most(endless, 4096),
            Err(ReadError::TooLarge(4096))
        ));
    }
}
