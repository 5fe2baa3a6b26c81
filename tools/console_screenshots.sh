#!/usr/bin/env bash
# Refreshes the screenshots of docs/console.md: runs the console's browser tests (which save
# every screenshot under target/console-screenshots/), then copies the pages the document
# shows into docs/console/. Needs what the browser tests need: Debian's chromium and
# `npm ci` in server/tests/console_e2e (.ci/run installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf target/console-screenshots
CARGO_INCREMENTAL=0 cargo test -p shale-server --test console the_console_pages_pass_their_browser_tests
mkdir -p docs/console
for name in tables create-table table-overview items-browse items-edit-form explore-query \
  explore-trace indexes-backfill streams-live ttl-enabled backups-pitr metrics-capacity \
  access-user access-policy-editor dynamodb-admin-items; do
  cp "target/console-screenshots/$name.png" "docs/console/$name.png"
done
echo "docs/console/: $(ls docs/console | wc -l) screenshots"
