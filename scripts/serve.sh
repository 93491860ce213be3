#!/usr/bin/env bash
# Serves the release build (target/release/icp-builder + target/site) with the environment
# `cargo leptos serve --release` would give it. Used by run.sh and by the Playwright tests, so the
# browser tests run exactly what users get. Build first: `cargo leptos build --release`.
#
# Settings (environment): DATABASE_URL (default sqlite://data/icp-builder.db), LEPTOS_SITE_ADDR
# (default 127.0.0.1:3000); anything else the server reads (PUBLIC_URL, RUST_LOG, …) passes through.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release/icp-builder
for needed in "$bin" target/site/pkg/icp-builder.wasm target/site/pkg/icp-builder.js; do
  if [ ! -e "$needed" ]; then
    echo "serve.sh: $needed is missing: build the release first (cargo leptos build --release)" >&2
    exit 1
  fi
done

# The bundle compressed ahead of time (served when the browser accepts it): remade for any file
# newer than its compressed copies, so a rebuild never serves stale ones.
for file in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
  [ -e "$file" ] || continue
  if [ ! "$file.gz" -nt "$file" ]; then gzip -9 -c "$file" >"$file.gz"; fi
  if [ ! "$file.br" -nt "$file" ]; then
    node -e 'const fs = require("fs"), zlib = require("zlib"); const [file] = process.argv.slice(1);
      fs.writeFileSync(file + ".br", zlib.brotliCompressSync(fs.readFileSync(file),
        { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));' "$file"
  fi
done

export DATABASE_URL="${DATABASE_URL:-sqlite://data/icp-builder.db}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
# What cargo-leptos sets for a release build (see [package.metadata.leptos] in Cargo.toml).
export LEPTOS_OUTPUT_NAME=icp-builder
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_ENV=PROD
export LEPTOS_HASH_FILES=false
exec "$bin" serve
