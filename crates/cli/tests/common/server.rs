//! A `kspm server` child process on a free loopback port, for end-to-end tests.
#![allow(dead_code)] // each test crate that includes this uses some of it

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The write token every test server is started with.
pub const TOKEN: &str = "test-write-token-0123456789";

/// A `kspm server` child on a free loopback port; killed on drop.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_server(db: &Path) -> Server {
    start_server_on(db, "127.0.0.1:0")
}

/// A `kspm server` child listening on `listen`.
pub fn start_server_on(db: &Path, listen: &str) -> Server {
    start_server_with(db, listen, &[], &[])
}

/// A `kspm server` child listening on `listen`, with more arguments and environment.
pub fn start_server_with(db: &Path, listen: &str, args: &[String], env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kspm"));
    command
        .env_remove("KSPM_WRITE_TOKEN")
        .envs(env.iter().copied())
        .args(["server", "--listen", listen, "--write-token", TOKEN, "--db"])
        .arg(db)
        .args(args)
        .stderr(Stdio::null());
    start_server_command(command)
}

/// Starts `command` (a whole `kspm server …`; stderr as the caller set it) and waits for the
/// address it prints.
pub fn start_server_command(mut command: Command) -> Server {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("start kspm server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let mut stdout = BufReader::new(stdout);
    stdout
        .read_line(&mut line)
        .expect("server prints its address");
    let base = line
        .trim()
        .strip_prefix("kspm: dashboard on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .trim_end_matches('/')
        .to_owned();
    Server {
        child,
        base,
        _stdout: stdout,
    }
}
