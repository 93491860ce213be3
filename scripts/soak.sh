#!/usr/bin/env bash
# The soak benchmark (a benchmark, not a test): the release server under a steady mixed load for
# minutes, on SQLite and on Postgres, printing its resident memory and the p99 latency every
# interval. Goal: memory flat after warm-up (last ÷ first ≤ 1.2), p99 stable. Method and a run's
# figures: BENCHMARKS.md, "Soak (issue 25)".
#
#   scripts/soak.sh                          10 minutes per database, a row every 30 s
#   scripts/soak.sh --minutes 2 --interval 15
#   scripts/soak.sh --sqlite-only | --postgres-only
#   scripts/soak.sh --no-build               serve the release build already in target/
#   scripts/soak.sh --workers 8 --cap 400    users (one worker each), live ICPs per user
#
# For each database: starts target/release/icp-builder as scripts/serve.sh serves it (on
# 127.0.0.1:3920, data in target/soak/: a fresh SQLite file, or a fresh Postgres schema `soak`),
# creates the users and their API tokens with the CLI, and runs scripts/soak.py (the load: API
# creates, PATCHes, gets, lists with and without filters, history, the browser's export, import and
# sign-in; see its header) over loopback. Each database's table is kept in target/soak/<db>.txt,
# the server's log (RUST_LOG=warn) in target/soak/<db>.server.log. Exits 1 if any request was
# answered with an unexpected status, the server died, or it logged an error.
#
# Postgres: ICP_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

minutes=10
interval=30
workers=8
cap=400
build=1
databases=(sqlite postgres)
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=${2:?--minutes needs a number}; shift ;;
    --interval) interval=${2:?--interval needs a number of seconds}; shift ;;
    --workers) workers=${2:?--workers needs a number}; shift ;;
    --cap) cap=${2:?--cap needs a number}; shift ;;
    --sqlite-only) databases=(sqlite) ;;
    --postgres-only) databases=(postgres) ;;
    --no-build) build=0 ;;
    -h | --help) usage 0 ;;
    *) echo "soak.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done
pg_url="${ICP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
out=target/soak
addr=127.0.0.1:3920
bin=target/release/icp-builder

if [ "$build" = 1 ]; then
  say "Building the release (as scripts/run.sh does)"
  ensure_build_tools
  env -u RUSTFLAGS cargo leptos build --release
fi
[ -x "$bin" ] || { echo "soak.sh: $bin is missing: build the release (drop --no-build)" >&2; exit 1; }
mkdir -p "$out"

server=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# soak NAME DATABASE_URL
soak() {
  local name=$1 url=$2 log="$out/$1.server.log" users="$out/$1.users.json"
  if curl -s -o /dev/null "http://$addr/healthz"; then
    echo "soak.sh: something already answers on $addr" >&2
    return 1
  fi
  say "$name: the release server on $addr ($url)"
  DATABASE_URL="$url" LEPTOS_SITE_ADDR="$addr" RUST_LOG=warn scripts/serve.sh 2>"$log" &
  server=$! # serve.sh execs the server: the same pid
  local ready=0
  for _ in $(seq 300); do
    if curl -sf -o /dev/null "http://$addr/readyz"; then ready=1 && break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" != 1 ]; then
    echo "soak.sh: the server did not become ready; its log ($log):" >&2
    tail -20 "$log" >&2
    return 1
  fi

  say "$name: $workers users and their API tokens (CLI)"
  local i email password token
  (umask 077 && echo '[' >"$users")
  for i in $(seq "$workers"); do
    email="soak-$i@example.com"
    password="soak password $i $RANDOM$RANDOM"
    echo "$password" | DATABASE_URL="$url" "$bin" users create --email "$email" --name "Soak $i" >/dev/null ||
      return 1
    token=$(DATABASE_URL="$url" "$bin" tokens create --email "$email" --label soak) || return 1
    [ "$i" -gt 1 ] && echo ',' >>"$users"
    printf '{"email": "%s", "password": "%s", "token": "%s"}\n' "$email" "$password" "$token" >>"$users"
  done
  echo ']' >>"$users"

  say "$name: ${minutes} min of mixed load, a row every ${interval} s"
  local status=0
  python3 scripts/soak.py --base "http://$addr" --pid "$server" --users "$users" --label "$name" \
    --minutes "$minutes" --interval "$interval" --cap "$cap" | tee "$out/$name.txt" || status=1
  rm -f "$users"
  if [ "$name" = sqlite ]; then
    local db=${url#sqlite://}
    echo "$name: database file $(du -sh --apparent-size "$db" | cut -f1) (+ WAL $(du -sh --apparent-size "$db-wal" 2>/dev/null | cut -f1))" | tee -a "$out/$name.txt"
  else
    psql "$pg_url" -qtAc "SELECT '$name: schema soak ' || pg_size_pretty(sum(pg_total_relation_size(c.oid))::bigint)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'soak' AND c.relkind = 'r'" |
      tee -a "$out/$name.txt"
  fi

  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
  local errors
  errors=$(grep -Ec 'ERROR|panicked' "$log" || true)
  if [ "$errors" -gt 0 ]; then
    echo "$name: the server logged $errors error lines ($log); the first:" | tee -a "$out/$name.txt"
    grep -E 'ERROR|panicked' "$log" | head -5 | tee -a "$out/$name.txt"
    status=1
  fi
  return "$status"
}

failed=0
for db in "${databases[@]}"; do
  case "$db" in
    sqlite)
      rm -f "$out"/sqlite.db "$out"/sqlite.db-wal "$out"/sqlite.db-shm
      soak sqlite "sqlite://$PWD/$out/sqlite.db" || failed=1
      ;;
    postgres)
      psql "$pg_url" -qc 'DROP SCHEMA IF EXISTS soak CASCADE; CREATE SCHEMA soak;'
      case "$pg_url" in *\?*) sep='&' ;; *) sep='?' ;; esac
      soak postgres "${pg_url}${sep}options=-c%20search_path%3Dsoak" || failed=1
      ;;
  esac
done

say "Soak results (${minutes} min per database, rows every ${interval} s; tables in $out/)"
for db in "${databases[@]}"; do
  grep -E "^$db: RSS " "$out/$db.txt" || echo "$db: no result (see $out/$db.txt)"
done
exit "$failed"
