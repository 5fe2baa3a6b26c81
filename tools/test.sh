#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, clippy, the test suite, the loom model
# checks of the lock-free structures, and a compile check of the fuzz targets.
# Env: SHALE_CRASH_CYCLES (default 50) sets the SIGKILL crash loop length; LOOM_MAX_PREEMPTIONS
# bounds the loom search (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
# No incremental caches: a one-shot run never reuses them, and they doubled the target folder.
export CARGO_INCREMENTAL=0
echo "== disk: $(df -h . | tail -1)"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace

echo "== loom (skiplist interleavings)"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p shale-engine --lib --release loom

echo "== fuzz targets compile (run them with cargo fuzz; see README)"
(cd fuzz && cargo check --quiet)

echo "== all tests passed"
