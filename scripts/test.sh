#!/usr/bin/env bash
# Runs every test: formatting and lints (server and WASM), unit and integration tests on SQLite and
# Postgres, and the Playwright tests in Chromium on the release build (served as scripts/run.sh
# serves it). Installs what it needs when it is missing.
#
# Also schemathesis against the release server's API (scripts/contract.sh).
#
# Postgres: ICP_TEST_POSTGRES_URL=postgres://user@host:port/db (each test gets its own schema).
# Unset, a local server at 127.0.0.1:5432 (database "test", user "postgres") is used if it answers.
# No Postgres is a failure; ICP_TEST_SKIP_POSTGRES=1 skips every Postgres test instead, loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

warn() { printf '\n\033[1;33m!!! %s !!!\033[0m\n\n' "$*" >&2; }
fail() { printf '\n\033[1;31m%s\033[0m\n\n' "$*" >&2; exit 1; }

# Postgres first: a missing database should fail in seconds, not after the builds.
local_pg="postgres://postgres@127.0.0.1:5432/test"
if [ "${ICP_TEST_SKIP_POSTGRES:-}" = 1 ]; then
  unset ICP_TEST_POSTGRES_URL
  warn "ICP_TEST_SKIP_POSTGRES=1: every Postgres test below is SKIPPED"
else
  export ICP_TEST_POSTGRES_URL="${ICP_TEST_POSTGRES_URL:-$local_pg}"
  command -v psql >/dev/null || fail "psql is needed for the Postgres tests (apt-get install postgresql-client), or set ICP_TEST_SKIP_POSTGRES=1"
  psql "$ICP_TEST_POSTGRES_URL" -qtAc 'select 1' >/dev/null ||
    fail "Postgres at $ICP_TEST_POSTGRES_URL does not answer: start it, set ICP_TEST_POSTGRES_URL, or skip its tests with ICP_TEST_SKIP_POSTGRES=1"
  say "Postgres tests run against $ICP_TEST_POSTGRES_URL"
fi

ensure_build_tools
ensure_leptosfmt
ensure_browser_tools
# The integration tests start the webhook receiver with this virtualenv's Python.
ensure_webhook_receiver

# The same flag cargo-leptos gives debug builds, so cargo test/clippy share their compiled deps.
export RUSTFLAGS="--cfg erase_components"

say "Formatting and lints"
cargo fmt --all --check
leptosfmt --check src >/dev/null || fail "view! macros are not formatted: run \`leptosfmt src && cargo fmt --all\`"
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --features hydrate --lib -- -D warnings

say "Unit and integration tests"
# Tests run in parallel (8 at a time: most of a test's time is waiting for its database). The app
# lists its pages' routes once per process (src/server/mod.rs), so a page rendered while another
# test builds its router cannot meet Leptos's process-wide resource suppression.
cargo test --features ssr -- --test-threads=8

# Built once, exactly as scripts/run.sh builds it; the browser tests run on it.
say "Release build (server + WASM bundle, optimised)"
env -u RUSTFLAGS cargo leptos build --release
# The bundle's names carry their hash (Cargo.toml hash-files), listed in hash.txt beside the binary.
wasm=target/site/pkg/icp-builder.$(awk '$1 == "wasm:" { print $2 }' target/release/hash.txt).wasm
say "WASM bundle: $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c "$wasm" | wc -c) bytes gzip"

# The API from outside: schemathesis generates requests from the OpenAPI document and fails on any
# finding, on SQLite and Postgres (fixed seed in CI, a random one locally; scripts/contract.sh).
scripts/contract.sh

say "End-to-end tests in Chromium (release build, served by scripts/serve.sh)"
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
  case "$ICP_TEST_POSTGRES_URL" in *\?*) sep='&' ;; *) sep='?' ;; esac
  run_e2e postgres "${ICP_TEST_POSTGRES_URL}${sep}options=-c%20search_path%3De2e"
fi

# A second per measurement, no thresholds (timings are noise here): only that the benchmark still
# runs end to end. The real run is `scripts/bench.sh` (BENCHMARKS.md).
say "Load benchmark, smoke mode"
if [ -n "${ICP_TEST_POSTGRES_URL:-}" ]; then
  scripts/bench.sh --smoke
  say "All tests passed"
else
  ICP_BENCH_SKIP_POSTGRES=1 scripts/bench.sh --smoke
  warn "All tests passed, but the Postgres tests were SKIPPED (ICP_TEST_SKIP_POSTGRES=1)"
fi
