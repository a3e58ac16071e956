#!/usr/bin/env bash
# Schemathesis against the live service's OpenAPI schema, authenticated as a demo account.
# Checks: no 5xx, responses conform to the schema, content types as documented.
# Starts its own server on a fresh SQLite database (and the in-process fakeredis) and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${FUZZ_PORT:-8765}
EXAMPLES=${FUZZ_EXAMPLES:-30}
WORK=$(mktemp -d)
export DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3"
unset REDIS_URL
export DEBUG=1 LOGIN_THROTTLE_RATE=100000/min LOG_LEVEL=WARNING

$PY manage.py migrate -v0
$PY manage.py load_demo >/dev/null
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$PORT/api/courses/" >/dev/null 2>&1 && break
  sleep 0.2
done
TOKEN=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/login/" -H 'Content-Type: application/json' \
  -d '{"username":"alex","password":"alex-demo-123"}' \
  | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')

set +e
.venv/bin/st run "http://127.0.0.1:$PORT/api/schema/" \
  --header "Authorization: Token $TOKEN" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --exclude-path /api/logout/ \
  --max-examples "$EXAMPLES" \
  --seed "${FUZZ_SEED:-1}" \
  --request-timeout 10 \
  --workers 1
status=$?
set -e
if [ $status -ne 0 ]; then
  echo "--- server log (tail) ---"
  tail -n 60 "$WORK/server.log"
fi
exit $status
