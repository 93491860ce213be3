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
pkg=target/site/pkg
# The bundle's file names carry their content's hash (cargo-leptos `hash-files`, Cargo.toml): the
# build lists them in hash.txt beside the binary (`js: <hash>`, `wasm: <hash>`, `css: <hash>`),
# which the server reads to name them in pages.
hashes=target/release/hash.txt
if [ ! -e "$bin" ] || [ ! -e "$hashes" ]; then
  echo "serve.sh: $bin or $hashes is missing: build the release first (cargo leptos build --release)" >&2
  exit 1
fi
while IFS=': ' read -r kind hash; do
  case "$kind" in js | wasm | css) ;; *) continue ;; esac
  if [ ! -e "$pkg/icp-builder.$hash.$kind" ]; then
    echo "serve.sh: $pkg/icp-builder.$hash.$kind (named in $hashes) is missing: build the release again" >&2
    exit 1
  fi
done <"$hashes"

# The bundle compressed ahead of time (served when the browser accepts it): made once per file
# (a hashed name's content never changes; a copy whose time differs from its file's is remade),
# and copies whose file is gone (an older build's hashes) are removed rather than kept forever.
for copy in "$pkg"/*.gz "$pkg"/*.br; do
  [ -e "$copy" ] || continue
  if [ ! -e "${copy%.*}" ]; then rm -f "$copy"; fi
done
for file in "$pkg"/*.wasm "$pkg"/*.js "$pkg"/*.css; do
  [ -e "$file" ] || continue
  if [ ! -e "$file.gz" ] || [ "$file" -nt "$file.gz" ] || [ "$file" -ot "$file.gz" ]; then
    gzip -9 -c "$file" >"$file.gz"
  fi
  if [ ! -e "$file.br" ] || [ "$file" -nt "$file.br" ] || [ "$file" -ot "$file.br" ]; then
    node -e 'const fs = require("fs"), zlib = require("zlib"); const [file] = process.argv.slice(1);
      fs.writeFileSync(file + ".br", zlib.brotliCompressSync(fs.readFileSync(file),
        { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));' "$file"
  fi
  # Every encoding of a file carries the file's own time, so its Last-Modified (and a browser's
  # If-Modified-Since) is the same whichever encoding was served.
  touch -r "$file" "$file.gz" "$file.br"
done

export DATABASE_URL="${DATABASE_URL:-sqlite://data/icp-builder.db}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
# What cargo-leptos sets for a release build (see [package.metadata.leptos] in Cargo.toml).
export LEPTOS_OUTPUT_NAME=icp-builder
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_ENV=PROD
export LEPTOS_HASH_FILES=true
export LEPTOS_HASH_FILE_NAME=hash.txt
exec "$bin" serve
