#!/usr/bin/env bash
# Runs icp-builder on SQLite (./data/icp-builder.db) at http://127.0.0.1:3000, installing what it needs.
# Another database: DATABASE_URL=postgres://… scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_build_tools
export DATABASE_URL="${DATABASE_URL:-sqlite://data/icp-builder.db}"
say "Building and starting icp-builder on $DATABASE_URL"
exec cargo leptos serve --release
