#!/usr/bin/env bash
# Application-portability check (issue #21): runs the boto3 suite server/tests/dynamo_py unchanged
# against a second DynamoDB-API implementation, moto's server (pinned below), and reports how many
# of its tests that implementation passes. A report, not a gate: it exits 0 whatever the counts.
# docs/portability.md classifies every difference.
#
# Env: SHALE_PORTABILITY_DIR (default target/portability): the venv, moto's log, junit.xml,
#      pytest.log and summary.txt (counts and the failing tests, one a line);
#      MOTO_VERSION (default below); PORTABILITY_TIMEOUT (seconds for the whole run, default 3600).
# Extra arguments go to pytest (e.g. `tools/portability.sh -k test_items`).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="${MOTO_VERSION:-5.2.6}"
PINS=("moto[server]==$MOTO_VERSION" boto3==1.44.18 awscli==1.46.3 pytest==9.2.0 zstandard==0.25.0)
DIR="${SHALE_PORTABILITY_DIR:-target/portability}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
VENV="$DIR/venv"
PY="$VENV/bin/python"

if [[ ! -x "$PY" ]] || [[ "$(cat "$VENV/.pins" 2>/dev/null)" != "${PINS[*]}" ]]; then
  echo "== installing ${PINS[*]} into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
  echo "${PINS[*]}" > "$VENV/.pins"
fi

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"

# Moto's own settings, not the suite's: the suite's account id (ARNs), and AWS's managed
# policies loaded so that the IAM tests attaching them get as far as moto can go.
MOTO_ACCOUNT_ID=000000000000 MOTO_IAM_LOAD_MANAGED_POLICIES=true \
  "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" > "$DIR/moto.log" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 150); do
  if "$PY" -c "import urllib.request; urllib.request.urlopen('$ENDPOINT/moto-api/', timeout=1)" \
      2>/dev/null; then
    break
  fi
  kill -0 "$MOTO_PID" 2>/dev/null || { echo "moto_server died:"; cat "$DIR/moto.log"; exit 0; }
  sleep 0.2
done
echo "== moto $MOTO_VERSION on $ENDPOINT; running server/tests/dynamo_py against it"

mkdir -p "$DIR/export-root"
rm -f "$DIR/junit.xml"
set +e
PATH="$VENV/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 \
  SHALE_DYNAMO_ENDPOINT="$ENDPOINT" SHALE_EXPORT_ROOT="$DIR/export-root" \
  timeout "${PORTABILITY_TIMEOUT:-3600}" "$PY" -m pytest -q -p no:cacheprovider \
  --junitxml="$DIR/junit.xml" -rf --tb=line server/tests/dynamo_py "$@" > "$DIR/pytest.log" 2>&1
RC=$?
set -e
[[ $RC -eq 124 ]] && echo "the run timed out after ${PORTABILITY_TIMEOUT:-3600}s"

"$PY" - "$DIR" "$MOTO_VERSION" <<'EOF'
import sys, xml.etree.ElementTree as ET
d, version = sys.argv[1], sys.argv[2]
try:
    cases = list(ET.parse(f"{d}/junit.xml").getroot().iter("testcase"))
except (OSError, ET.ParseError) as e:
    print(f"no junit report ({e}); see {d}/pytest.log")
    sys.exit(0)
failed = [f"{c.get('classname').rsplit('.', 1)[-1]}::{c.get('name')}" for c in cases
          if c.find("failure") is not None or c.find("error") is not None]
skipped = sum(c.find("skipped") is not None for c in cases)
passed = len(cases) - len(failed) - skipped
line = f"moto {version}: {passed} passed, {len(failed)} failed, {skipped} skipped"
with open(f"{d}/summary.txt", "w") as f:
    f.write(line + "\n" + "".join(t + "\n" for t in failed))
print(line)
print(f"failing tests: {d}/summary.txt; details: {d}/pytest.log, {d}/junit.xml")
EOF
exit 0
