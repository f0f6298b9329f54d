#!/usr/bin/env bash
# The whole kspm test suite, from a fresh machine: toolchain checks, formatting, lints,
# every unit/integration/snapshot test, and every rule case through the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "error: cargo is required (https://rustup.rs)" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace
echo "== kspm rules test (embedded bundle)"
cargo run --quiet -p kspm-cli -- rules test
