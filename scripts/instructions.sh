#!/usr/bin/env bash
# Instructions per durable create, counted by valgrind's callgrind: the release server on SQLite
# against the bare axum + sqlx instrument's group commit (tools/loadbench). Instruction counts do
# not depend on how busy or fast the machine is, so unlike scripts/bench.sh's req/s they compare
# across runs and machines: use it to tell whether a change made a create cheaper. (What it does
# not see: time waiting for the disk, and the kernel's own work.)
#
#   scripts/instructions.sh [SECONDS]   each side under load for SECONDS (default 20), 8 connections
#
# Build first (scripts/bench.sh does both): `cargo leptos build --release` and tools/loadbench.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

seconds=${1:-20}
server=target/release/icp-builder
tools=target/loadbench/release
body=src/api/examples/ai-filtering.json
for needed in "$server" "$tools/load" "$tools/bare"; do
  [ -x "$needed" ] || { echo "instructions.sh: $needed is missing: build it first" >&2; exit 1; }
done
command -v valgrind >/dev/null || apt_install valgrind

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
addr=127.0.0.1:3912

# count NAME URL COMMAND... — runs COMMAND (a server on $addr) under callgrind with counting off,
# warms it up, counts only while `load` runs, and prints instructions per answered request.
count() {
  local name=$1 url=$2
  shift 2
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/$name.out" \
    "$@" 2>"$work/$name.valgrind" &
  pid=$!
  for _ in $(seq 600); do
    if curl -s -o /dev/null "http://$addr/"; then break; fi
    sleep 0.2
  done
  "$tools/load" warm "$url" 4 3 POST "$body" "${headers[@]}" >/dev/null
  callgrind_control -i on "$pid" >/dev/null
  local answered
  answered=$("$tools/load" "$name" "$url" 8 "$seconds" POST "$body" "${headers[@]}" | awk '{ print $5 }')
  callgrind_control -i off "$pid" >/dev/null
  # TERM: the app shuts down gracefully on it, the bare instrument just ends (a script's background
  # jobs ignore INT); either way callgrind writes its counts as the process exits.
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  local total
  total=$(callgrind_annotate "$work/$name.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  echo "$name $total $answered" | tee -a "$work/counts" >&2
}

say "The app on SQLite: create (auth + validation + durable insert), under callgrind"
url="sqlite://$work/app.db"
echo 'bench-password' | DATABASE_URL="$url" "$server" users create --email bench@example.com --name Bench >/dev/null
token=$(DATABASE_URL="$url" "$server" tokens create --email bench@example.com --label bench)
headers=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
DATABASE_URL="$url" LEPTOS_SITE_ADDR="$addr" LEPTOS_OUTPUT_NAME=icp-builder LEPTOS_SITE_ROOT=target/site \
  LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD RUST_LOG=warn \
  count app "http://$addr/api/v1/entities/icps" "$server" serve

say "The bare instrument on SQLite: the same insert with group commit, under callgrind"
headers=(-H "Content-Type: application/json")
count bare "http://$addr/icps" "$tools/bare" "$addr" "sqlite://$work/bare.db" group

awk '
  { per[$1] = $2 / $3; printf "%-5s %14d instructions / %6d creates = %8.0f per create\n", $1, $2, $3, per[$1] }
  END { if (per["bare"] > 0) printf "app / bare: %.2fx the instructions per create\n", per["app"] / per["bare"] }
' "$work/counts"
