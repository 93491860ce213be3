#!/usr/bin/env bash
# The API contract, tested from outside: schemathesis generates requests from /api/openapi.json in
# every phase (the document's examples, coverage of each schema's edges, fuzzing, and stateful
# sequences that follow the links between operations) against the release server, on SQLite and
# on Postgres, and fails on any finding (`--checks all`: a 5xx, a response that breaks its schema,
# an undocumented status, a schema-valid request refused, a schema-invalid one accepted, …).
# Part of the test command; contract/schemathesis.toml and contract/hooks.py say what JSON Schema
# cannot.
#
#   CONTRACT_SEED      the generators' seed: fixed in CI (CI=true), random locally (printed, so a
#                      failure can be replayed with it)
#   CONTRACT_EXAMPLES  examples per operation and phase (default 100)
#   ICP_BIN            a server binary to test instead of the release build (e.g. target/debug/icp-builder)
#   ICP_TEST_POSTGRES_URL / ICP_TEST_SKIP_POSTGRES  as for scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_schemathesis

seed=${CONTRACT_SEED:-}
if [ -z "$seed" ]; then
  if [ -n "${CI:-}" ]; then seed=20261130; else seed=$((RANDOM * 32768 + RANDOM)); fi
fi
examples=${CONTRACT_EXAMPLES:-100}
bin=${ICP_BIN:-target/release/icp-builder}
pg_url="${ICP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# contract NAME DATABASE_URL ADDRESS
contract() {
  local name=$1 url=$2 addr=$3
  say "API contract on $name: schemathesis, seed $seed, $examples examples per operation and phase"
  if [ -n "${ICP_BIN:-}" ]; then
    DATABASE_URL="$url" LEPTOS_SITE_ADDR="$addr" LEPTOS_OUTPUT_NAME=icp-builder LEPTOS_SITE_ROOT=target/site \
      LEPTOS_SITE_PKG_DIR=pkg LEPTOS_HASH_FILES=false RUST_LOG=warn "$bin" serve 2>"$work/$name.log" &
  else
    DATABASE_URL="$url" LEPTOS_SITE_ADDR="$addr" RUST_LOG=warn scripts/serve.sh 2>"$work/$name.log" &
  fi
  server=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://$addr/api/openapi.json" && break; sleep 0.1; done
  echo 'contract-password' | DATABASE_URL="$url" "$bin" users create --email "contract-$name@example.com" \
    --name Contract >/dev/null
  local token
  token=$(DATABASE_URL="$url" "$bin" tokens create --email "contract-$name@example.com" --label contract)
  # Every check but use_after_free: an ICP's history outlives it on purpose (its owner reads its
  # versions and restores it for 30 days after a delete, both documented), so "a deleted resource
  # is still available" through …/{id}/versions is the feature, not a leak.
  local status=0
  (cd contract && SCHEMATHESIS_HOOKS=hooks PYTHONPATH=. "../target/contract-venv/bin/st" \
    --config-file schemathesis.toml run "http://$addr/api/openapi.json" --url "http://$addr" \
    --checks all --exclude-checks use_after_free --max-examples "$examples" --seed "$seed" --no-color \
    -H "Authorization: Bearer $token") >"$work/$name.st" 2>&1 || status=$?
  kill "$server" && wait "$server" 2>/dev/null || true
  server=
  if [ "$status" -ne 0 ]; then
    cat "$work/$name.st"
    printf '\033[1;31mThe API broke its contract on %s (seed %s); server log:\033[0m\n' "$name" "$seed" >&2
    tail -50 "$work/$name.log" >&2
    exit 1
  fi
  grep -E "generated|passed" "$work/$name.st" | tail -2
}

contract sqlite "sqlite://$work/contract.db" 127.0.0.1:3920
if [ "${ICP_TEST_SKIP_POSTGRES:-}" != 1 ]; then
  psql "$pg_url" -qc 'SET client_min_messages = warning; DROP SCHEMA IF EXISTS contract CASCADE; CREATE SCHEMA contract;'
  case "$pg_url" in *\?*) sep='&' ;; *) sep='?' ;; esac
  contract postgres "${pg_url}${sep}options=-c%20search_path%3Dcontract" 127.0.0.1:3921
fi
