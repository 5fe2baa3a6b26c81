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
# Every test is built first. The web console's browser tests (server/tests/console.rs: headless
# Chromium against a real server) mostly wait on the browser and on the server's clocks, so
# they run beside the rest of the suite, from their binary (cargo holds its lock while a test
# runs); their output is printed when they end.
cargo test --workspace --no-run
browser_test=the_console_pages_pass_their_browser_tests
console_bin=$(cargo test -p shale-server --test console --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "console" and m.get("executable"):
        print(m["executable"])')
console_log=target/console-browser-tests.log
(cd server && "$console_bin" --exact "$browser_test") >"$console_log" 2>&1 &
console_pid=$!
cargo test --workspace -- --skip "$browser_test"
echo "== the console's browser tests (run beside the suite)"
console_status=0
wait "$console_pid" || console_status=$?
cat "$console_log"
[ "$console_status" -eq 0 ] || { echo "the console's browser tests failed"; exit 1; }

echo "== loom (skiplist interleavings)"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p shale-engine --lib --release loom

echo "== fuzz targets compile (run them with cargo fuzz; see README)"
(cd fuzz && cargo check --quiet)

echo "== all tests passed"
