#!/usr/bin/env bash
# The load benchmark: the release server on SQLite and on Postgres against the bare axum + sqlx
# instrument (tools/loadbench), all measured in this one run, since only same-run ratios mean anything
# on a shared machine. Method and results: BENCHMARKS.md.
#
#   scripts/bench.sh           10 s per measurement, 32 connections
#   scripts/bench.sh --smoke   1 s per measurement, no thresholds: proves the benchmark still runs
#
# Then the builder's timings in headless Chromium (end2end/perf/builder-timing.ts: navigation →
# hydrated builder, cold and warm; 100 "Add filter" clicks), on the same release build; with
# --smoke, each once.
#
# Postgres: ICP_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); fresh schemas
# `bench_app` and `bench_bare` are made for the run. ICP_BENCH_SKIP_POSTGRES=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

seconds=10
concurrency=32
smoke=0
[ "${1:-}" = --smoke ] && seconds=1 && smoke=1
pg_url="${ICP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

say "Building the release server and the load tools"
ensure_build_tools
env -u RUSTFLAGS cargo leptos build --release
(cd tools/loadbench && env -u RUSTFLAGS CARGO_TARGET_DIR=../../target/loadbench cargo build --release --quiet)
tools=target/loadbench/release

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

app_addr=127.0.0.1:3910
bare_addr=127.0.0.1:3911
body=src/api/examples/ai-filtering.json

wait_for() {
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://$1/"; then return 0; fi
    sleep 0.1
  done
  echo "bench.sh: nothing answers on $1" >&2
  exit 1
}

stop_last() {
  local pid=${pids[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'pids[-1]'
}

load() { "$tools/load" "$@" | tee -a "$work/results"; }

# bench NAME DATABASE_URL BARE_DATABASE_URL
bench() {
  local name=$1 url=$2 bare_url=$3
  say "$name: the app (create, get one, list ?limit=20), c=$concurrency, ${seconds}s each"
  DATABASE_URL="$url" LEPTOS_SITE_ADDR="$app_addr" RUST_LOG=warn scripts/serve.sh 2>"$work/$name.log" &
  pids+=($!)
  wait_for "$app_addr"
  echo 'bench-password' | DATABASE_URL="$url" target/release/icp-builder users create \
    --email "bench-$name@example.com" --name Bench >/dev/null
  local token
  token=$(DATABASE_URL="$url" target/release/icp-builder tokens create --email "bench-$name@example.com" --label bench)
  local auth="Authorization: Bearer $token" json="Content-Type: application/json"
  local api="http://$app_addr/api/v1/entities/icps"
  local id
  id=$(curl -s -H "$auth" -H "$json" --data-binary @"$body" "$api" | sed -E 's/.*"id":"([^"]+)".*/\1/')

  # The create against the bare instrument's `rows` (the app's rows, in the app's own tables: the
  # app's CLI makes them), running beside it: measured in turns, create, bare, bare, create, each
  # half the time, so a machine that slows down or speeds up during the run weighs on both alike.
  echo 'bench-password' | DATABASE_URL="$bare_url" target/release/icp-builder users create \
    --email "bare-$name@example.com" --name Bare >/dev/null
  "$tools/bare" "$bare_addr" "$bare_url" rows 2>>"$work/bare.log" &
  pids+=($!)
  wait_for "$bare_addr"
  local half turn
  half=$(awk -v s="$seconds" 'BEGIN { print s / 2 }')
  for turn in app bare bare app; do
    if [ "$turn" = app ]; then
      load "$name.create" "$api" "$concurrency" "$half" POST "$body" -H "$auth" -H "$json"
    else
      load "$name.bare-rows" "http://$bare_addr/icps" "$concurrency" "$half" POST "$body" -H "$json"
    fi
  done
  stop_last

  load "$name.get" "$api/$id" "$concurrency" "$seconds" GET -H "$auth"
  load "$name.list" "$api?limit=20" "$concurrency" "$seconds" GET -H "$auth"
  # The server's resident memory after all of it (serve.sh execs the server: same pid).
  local creates rss
  creates=$(awk -v k="$name.create" '$1 == k { n += $5 } END { print n }' "$work/results")
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/${pids[-1]}/status")
  echo "$name: server RSS $((rss / 1024)) MB after $creates creates" | tee -a "$work/memory"
  stop_last

  say "$name: the bare instrument (insert one commit each, group commit, JSON echo)"
  for mode in each group; do
    "$tools/bare" "$bare_addr" "$bare_url" "$mode" 2>>"$work/bare.log" &
    pids+=($!)
    wait_for "$bare_addr"
    load "$name.bare-$mode" "http://$bare_addr/icps" "$concurrency" "$seconds" POST "$body" -H "$json"
    [ "$mode" = group ] && load "$name.bare-echo" "http://$bare_addr/echo" "$concurrency" "$seconds" GET
    stop_last
  done
}

bench sqlite "sqlite://$work/app.db" "sqlite://$work/bare.db"
if [ "${ICP_BENCH_SKIP_POSTGRES:-}" != 1 ]; then
  psql "$pg_url" -qc 'DROP SCHEMA IF EXISTS bench_app CASCADE; CREATE SCHEMA bench_app;
                      DROP SCHEMA IF EXISTS bench_bare CASCADE; CREATE SCHEMA bench_bare;'
  case "$pg_url" in *\?*) sep='&' ;; *) sep='?' ;; esac
  bench postgres "${pg_url}${sep}options=-c%20search_path%3Dbench_app" \
    "${pg_url}${sep}options=-c%20search_path%3Dbench_bare"
fi

say "Results (c=$concurrency, ${seconds}s each; ratios within this run)"
# A measurement taken in turns has a line per turn: its req/s is all of its answers over all of its
# time, its p50 the turns' mean, its p99 their worst.
awk '
  {
    if (!($1 in ok)) order[++n] = $1
    ok[$1] += $5; errors[$1] += $6; turns[$1]++; p50[$1] += $3
    if ($2 > 0) time[$1] += $5 / $2
    if ($4 > p99[$1]) p99[$1] = $4
  }
  END {
    for (k in ok) { rps[k] = time[k] > 0 ? sprintf("%.0f", ok[k] / time[k]) : 0; p50[k] = sprintf("%.2f", p50[k] / turns[k]) }
    printf "%-24s %10s %9s %9s %7s   %s\n", "measurement", "req/s", "p50 ms", "p99 ms", "errors", "ratio"
    for (i = 1; i <= n; i++) {
      k = order[i]; split(k, part, "."); db = part[1]; what = part[2]; ratio = ""
      if (what == "create" && rps[db ".bare-group"] > 0 && rps[db ".bare-rows"] > 0) ratio = sprintf("%.2fx bare group commit, %.2fx bare app rows", rps[k] / rps[db ".bare-group"], rps[k] / rps[db ".bare-rows"])
      if (what == "get" && rps[db ".bare-echo"] > 0) ratio = sprintf("%.2fx bare JSON echo", rps[k] / rps[db ".bare-echo"])
      if (what == "list" && rps[db ".get"] > 0) ratio = sprintf("%.2fx get one", rps[k] / rps[db ".get"])
      printf "%-24s %10s %9s %9s %7s   %s\n", k, rps[k], p50[k], p99[k], errors[k], ratio
      if (ok[k] == 0 || errors[k] > 0) broken = broken " " k
    }
    while ((getline line < memory) > 0) print line
    if (broken != "") { print "bench.sh: requests failed in:" broken > "/dev/stderr"; exit 1 }
  }' memory="$work/memory" "$work/results"

say "The builder in headless Chromium (end2end/perf/builder-timing.ts)"
ensure_browser_tools
(cd end2end && PERF_SMOKE=$smoke npx playwright test -c perf.config.ts)
