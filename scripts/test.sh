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
# --- browser tests (web UI): Debian chromium + chromium-driver --------------------------
# crates/server/tests/browser.rs drives a headless Chromium through chromedriver. Install
# them when missing, and make a missing browser a test failure rather than a silent skip.
if [ ! -x /usr/bin/chromedriver ]; then
  echo "== installing chromium and chromium-driver (browser tests)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    chromium chromium-driver >/dev/null
fi
export KSPM_REQUIRE_BROWSER=1
# --- end of browser tests block ----------------------------------------------------------
# --- kubectl (crates/kube-fake/tests/kubectl.rs): Debian kubernetes-client ----------------
# The fake Kubernetes API server's fidelity is proven by driving it with the real kubectl.
# Install it when missing, and make a missing kubectl a test failure rather than a skip.
if [ ! -x /usr/bin/kubectl ]; then
  echo "== installing kubernetes-client (kubectl)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
fi
export KSPM_REQUIRE_KUBECTL=1
# --- end of kubectl block ------------------------------------------------------------------
# --- AWS API emulator (crates/cli/tests/eks_aws.rs): PyPI moto[server] --------------------
# The CIS EKS rules that read the AWS APIs run against moto in server mode on loopback.
# Install it when missing, and make a missing moto a test failure rather than a skip.
if ! python3 -c "import moto.server, boto3" 2>/dev/null; then
  echo "== installing moto[server] (AWS API emulator)"
  python3 -m pip install --quiet --disable-pip-version-check "moto[server]>=5.1"
fi
export KSPM_REQUIRE_MOTO=1
# --- end of AWS block ------------------------------------------------------------------------
echo "== cargo test"
cargo test --workspace
echo "== kspm rules test (embedded bundle)"
cargo run --quiet -p kspm-cli -- rules test
