//! The `kspm` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod push;
mod rules_cmd;
mod scan;
mod serve;

// jemalloc: a 10,000-pod scan allocates and frees millions of small values on every core;
// against glibc malloc it measured about 10% faster with 20 MB less peak memory.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_tracing(args.verbose);
    match cli::run(args) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            cli::Exit::Runtime.into()
        }
    }
}
