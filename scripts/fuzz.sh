#!/usr/bin/env bash
# Fuzzes what kspm reads from strangers, for a bounded time per target: YAML manifests
# (kspm-yaml, documents sharing an alias budget) and findings searches (the KQL parser of
# kspm-store). Not part of scripts/test.sh: run it on its own.
#
#   scripts/fuzz.sh                 every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh kql
#
# It uses cargo-fuzz (libFuzzer), which needs a nightly toolchain for its sanitizer flags; both
# are installed when missing (cargo-fuzz from crates.io, nightly through rustup). A crash leaves
# its input under fuzz/artifacts/<target>/ and makes this script fail: turn the input into a
# unit test next to the code it broke, then fix the code.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml_documents kql)

command -v cargo >/dev/null || { echo "error: cargo is required (https://rustup.rs)" >&2; exit 1; }
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "== installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Seeds: the project's own manifests and a few searches, so the fuzzer starts from real shapes.
mkdir -p corpus/yaml_documents corpus/kql
find ../examples ../crates/cli/tests -name '*.yaml' -size -64k 2>/dev/null | head -n 200 |
  while read -r f; do cp "$f" "corpus/yaml_documents/$(echo "$f" | tr '/.' '__')"; done
printf '%s' 'rule.section : "API Server" and result.evaluation : failed' > corpus/kql/section
printf '%s' 'not resource.name : web* or (rule.benchmark.rule_number >= 1.2 and kubelet)' > corpus/kql/mixed
printf '%s' '@timestamp >= "2026-01-01" and orchestrator.cluster.name : "prod"' > corpus/kql/date

status=0
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  # -rss_limit_mb: a leak or an unbounded expansion is a finding too.
  if ! cargo +nightly fuzz run "$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1; then
    echo "error: $target found a crash; its input is under fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit $status
