#!/usr/bin/env bash
# Runs icp-builder on SQLite (./data/icp-builder.db) at http://127.0.0.1:3000, installing what it needs.
# Another database: DATABASE_URL=postgres://… scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_build_tools
say "Building the release (server + optimised WASM bundle)"
# No extra RUSTFLAGS: a release build must not erase component types (cargo-leptos adds
# `--cfg erase_components` only to debug builds), and test.sh builds the same way, sharing the cache.
env -u RUSTFLAGS cargo leptos build --release
say "Starting icp-builder on ${DATABASE_URL:-sqlite://data/icp-builder.db} at http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
exec scripts/serve.sh
