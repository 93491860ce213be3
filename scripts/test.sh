#!/usr/bin/env bash
# Runs every test: formatting and lints (server and WASM), unit and integration tests on SQLite and
# Postgres, and the Playwright tests in Chromium. Installs what it needs when it is missing.
#
# Postgres: ICP_TEST_POSTGRES_URL=postgres://user@host:port/db (each test gets its own schema).
# Unset, a local server at 127.0.0.1:5432 (database "test", user "postgres") is used if it answers;
# otherwise the Postgres tests are skipped, and this script says so loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_build_tools
ensure_browser_tools

# cargo-leptos builds with this flag: the same for cargo test/clippy shares their compiled deps.
export RUSTFLAGS="--cfg erase_components"

local_pg="postgres://postgres@127.0.0.1:5432/test"
if [ -z "${ICP_TEST_POSTGRES_URL:-}" ] && command -v psql >/dev/null && psql "$local_pg" -qtAc 'select 1' >/dev/null 2>&1; then
  export ICP_TEST_POSTGRES_URL="$local_pg"
fi
if [ -n "${ICP_TEST_POSTGRES_URL:-}" ]; then
  say "Postgres tests run against $ICP_TEST_POSTGRES_URL"
else
  printf '\n\033[1;33m!!! NO POSTGRES: set ICP_TEST_POSTGRES_URL — every Postgres test below is SKIPPED !!!\033[0m\n\n' >&2
fi

say "Formatting and lints"
cargo fmt --all --check
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --features hydrate --lib -- -D warnings

say "Unit and integration tests"
cargo test --features ssr

say "End-to-end tests in Chromium"
cargo leptos build
mkdir -p target/e2e
run_e2e() {
  local name=$1 url=$2
  say "Playwright on $name"
  (cd end2end && E2E_DATABASE_URL="$url" npx playwright test --output "test-results/$name")
}
rm -f target/e2e/icp.db*
run_e2e sqlite "sqlite://target/e2e/icp.db"
if [ -n "${ICP_TEST_POSTGRES_URL:-}" ]; then
  psql "$ICP_TEST_POSTGRES_URL" -qc 'DROP SCHEMA IF EXISTS e2e CASCADE; CREATE SCHEMA e2e;'
  run_e2e postgres "${ICP_TEST_POSTGRES_URL}?options=-c%20search_path%3De2e"
else
  printf '\n\033[1;33m!!! Postgres tests were SKIPPED (no ICP_TEST_POSTGRES_URL, no local server) !!!\033[0m\n' >&2
fi
say "Release build (server + WASM bundle, optimised)"
env -u RUSTFLAGS cargo leptos build --release   # as scripts/run.sh builds it
wasm=target/site/pkg/icp-builder.wasm
say "WASM bundle: $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c "$wasm" | wc -c) bytes gzip"
say "All tests passed"
