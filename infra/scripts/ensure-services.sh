#!/usr/bin/env bash
# Make sure the machine's Redis (127.0.0.1:6379) and Postgres (127.0.0.1:5432) answer, starting them if they
# have stopped (the commands are the ones in LOCAL-STACK.md). Waits at most ~30 s for each.
set -euo pipefail

wait_for() { # name, probe command
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "$name is up"; return 0; fi
    sleep 0.5
  done
  echo "$name did not come up" >&2
  return 1
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_for redis redis-cli -h 127.0.0.1 -p 6379 ping

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "starting postgres"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
wait_for postgres pg_isready -h 127.0.0.1 -p 5432
