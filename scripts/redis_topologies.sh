#!/usr/bin/env bash
# Real Redis deployments on loopback, for the tests of API.md "Redis deployments":
#   - a Redis Cluster of three masters on ports 7101-7103 (no replicas),
#   - a Sentinel group: master 6391, its replica 6392, three Sentinels on 26391-26393 watching
#     the master under the name "shop" (quorum 2).
#
#   scripts/redis_topologies.sh start   start both (fresh, empty), wait until they are ready
#   scripts/redis_topologies.sh stop    stop every server this script started, remove its files
#   scripts/redis_topologies.sh env     print the settings that point the service at them
#   scripts/redis_topologies.sh test    start; the whole suite but the browser tests against the
#                                       Cluster; the failover, two-server and payment race tests
#                                       against the Sentinel group; stop (always, by a trap)
#
# Needs redis-server and redis-cli (Debian: apt-get install redis-server); Sentinel runs as
# `redis-server <conf> --sentinel`, so the redis-sentinel package is not needed. `test` needs
# PostgreSQL: DATABASE_URL (default: CI's postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${REDIS_TOPOLOGIES_DIR:-${TMPDIR:-/tmp}/settlement-redis-topologies}
CLUSTER_PORTS=(7101 7102 7103)
MASTER_PORT=6391
REPLICA_PORT=6392
SENTINEL_PORTS=(26391 26392 26393)
MASTER_NAME=shop
HOST=127.0.0.1

cluster_env() { echo "REDIS_CLUSTER=1 REDIS_URL=redis://$HOST:${CLUSTER_PORTS[0]}/0"; }
sentinel_env() {
  local list
  list=$(printf "$HOST:%s," "${SENTINEL_PORTS[@]}")
  echo "REDIS_SENTINELS=${list%,} REDIS_SENTINEL_MASTER=$MASTER_NAME"
}

wait_until() { # wait_until <seconds> <what> <command...>
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "redis_topologies: timed out waiting for $what" >&2
  return 1
}

server() { # server <port> <extra redis-server arguments...>
  local port=$1
  shift
  mkdir -p "$DIR/$port"
  redis-server --port "$port" --bind "$HOST" --daemonize yes --save "" --appendonly no \
    --dir "$DIR/$port" --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log" "$@"
  wait_until 10 "redis on $port" redis-cli -p "$port" ping
}

cluster_ok() { redis-cli -p "$1" cluster info | grep -q "cluster_state:ok"; }
replica_up() { redis-cli -p "$REPLICA_PORT" info replication | grep -q "master_link_status:up"; }
sentinel_ready() { # each Sentinel sees the replica and the two other Sentinels
  local info
  info=$(redis-cli -p "$1" sentinel master "$MASTER_NAME" | paste -sd' ')
  [[ $info == *"num-slaves 1 "* && $info == *"num-other-sentinels 2 "* ]]
}

start() {
  for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null || {
      echo "redis_topologies: $tool is missing (apt-get install redis-server)" >&2
      exit 1
    }
  done
  stop quiet
  mkdir -p "$DIR"
  for port in "${CLUSTER_PORTS[@]}"; do
    server "$port" --cluster-enabled yes --cluster-config-file "$DIR/$port/nodes.conf" \
      --cluster-node-timeout 3000
  done
  redis-cli --cluster create $(printf "$HOST:%s " "${CLUSTER_PORTS[@]}") \
    --cluster-replicas 0 --cluster-yes >"$DIR/cluster-create.log"
  for port in "${CLUSTER_PORTS[@]}"; do wait_until 20 "cluster state ok on $port" cluster_ok "$port"; done

  server "$MASTER_PORT"
  server "$REPLICA_PORT" --replicaof "$HOST" "$MASTER_PORT"
  wait_until 20 "the replica's link to the master" replica_up
  for port in "${SENTINEL_PORTS[@]}"; do
    mkdir -p "$DIR/$port"
    cat >"$DIR/$port/sentinel.conf" <<EOF
port $port
bind $HOST
daemonize yes
dir $DIR/$port
pidfile $DIR/$port/redis.pid
logfile $DIR/$port/redis.log
sentinel monitor $MASTER_NAME $HOST $MASTER_PORT 2
sentinel down-after-milliseconds $MASTER_NAME 2000
sentinel failover-timeout $MASTER_NAME 10000
sentinel parallel-syncs $MASTER_NAME 1
EOF
    redis-server "$DIR/$port/sentinel.conf" --sentinel
  done
  for port in "${SENTINEL_PORTS[@]}"; do
    wait_until 30 "Sentinel $port to see the group" sentinel_ready "$port"
  done
  echo "redis_topologies: Cluster on ${CLUSTER_PORTS[*]}, Sentinel group $MASTER_NAME" \
    "(master $MASTER_PORT, replica $REPLICA_PORT, Sentinels ${SENTINEL_PORTS[*]}) in $DIR"
}

stop() {
  local pidfile pid
  [ -d "$DIR" ] || return 0
  for pidfile in "$DIR"/*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$DIR"
  [ "${1:-}" = quiet ] || echo "redis_topologies: stopped"
}

run_tests() {
  local db=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
  trap stop EXIT # even when starting or a test fails
  start
  echo "== pytest against the Redis Cluster (PostgreSQL, every test but the browser's)"
  env DEBUG=1 DATABASE_URL="$db" $(cluster_env) .venv/bin/python -m pytest -m "not e2e" -p no:cacheprovider
  echo "== pytest against the Sentinel group (failover under load, two app servers, payments)"
  env DEBUG=1 DATABASE_URL="$db" $(sentinel_env) .venv/bin/python -m pytest -p no:cacheprovider \
    tests/deployments tests/pay/test_two_app_servers.py tests/pay/test_payment_concurrency.py
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "cluster:  $(cluster_env)"; echo "sentinel: $(sentinel_env)" ;;
  test) run_tests ;;
  *) echo "usage: $0 start|stop|env|test" >&2; exit 2 ;;
esac
