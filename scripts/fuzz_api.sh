#!/usr/bin/env bash
# Schemathesis against the live service's OpenAPI schema, authenticated as a demo account.
# Checks: no 5xx, responses conform to the schema, content types as documented.
# Starts its own server and stops it. Database and Redis: DATABASE_URL / REDIS_URL when given
# (migrated, demo data loaded into them), else a fresh SQLite file and the in-process fakeredis.
# Before the run the demo account pays one order, so the order routes see a real order number
# (half their cases use it, the other half generated ones).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${FUZZ_PORT:-8765}
EXAMPLES=${FUZZ_EXAMPLES:-30}
WORK=$(mktemp -d)
export DATABASE_URL="${DATABASE_URL:-sqlite:///$WORK/fuzz.sqlite3}"
export REDIS_URL="${REDIS_URL:-}"
# What the fuzz needs, asked for explicitly (the settings' defaults are production's).
export DEBUG=1 LOGIN_THROTTLE_RATE=100000/min LOGIN_USERNAME_THROTTLE_RATE=100000/min LOG_LEVEL=WARNING
echo "fuzz: database ${DATABASE_URL%%\?*}, redis ${REDIS_URL:-in-process fakeredis}"

$PY manage.py migrate -v0
$PY manage.py load_demo >/dev/null
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$PORT/api/courses/" >/dev/null 2>&1 && break
  sleep 0.2
done

# Log in as alex and pay one order through the API; prints the token and the order number.
read -r TOKEN ORDER < <($PY scripts/fuzz_order.py "http://127.0.0.1:$PORT")
cat >"$WORK/schemathesis.toml" <<TOML
[dictionaries.orders]
values = ["$ORDER"]

[parameters]
"path.order_number" = { dictionary = "orders", probability = 0.5 }
TOML

set +e
.venv/bin/st --config-file "$WORK/schemathesis.toml" run "http://127.0.0.1:$PORT/api/schema/" \
  --header "Authorization: Token $TOKEN" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --exclude-path /api/logout/ \
  --exclude-path /api/logout/all/ \
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
