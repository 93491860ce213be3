# Installs what building and testing need when it is missing. Sourced by run.sh and test.sh.
# Everything comes from crates.io, npm or Debian's apt: nothing downloads its own binaries.

CARGO_LEPTOS_VERSION=0.3.10
# wasm-opt from npm's `binaryen` (pinned in tools/package.json). Debian's binaryen (wasm-opt 108)
# produces a module that fails at start-up (`WebAssembly.Table.set(): Argument 1 is invalid`), so
# the app never hydrates; and without a wasm-opt on PATH cargo-leptos would download one from GitHub.
WASM_OPT_VERSION=132

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# The exact wasm-bindgen the project is locked to: the CLI must match the library.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_build_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 12 minutes, once)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
  local wanted
  wanted=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wanted" ]; then
    say "Installing wasm-bindgen-cli $wanted"
    cargo install wasm-bindgen-cli --version "$wanted"
  fi
  ensure_wasm_opt
}

# The formatter of `view!` macros, which `cargo fmt` leaves alone (about 4 minutes, once).
LEPTOSFMT_VERSION=0.1.33
ensure_leptosfmt() {
  if [ "$(leptosfmt --version 2>/dev/null | awk '{print $2}')" != "$LEPTOSFMT_VERSION" ]; then
    say "Installing leptosfmt $LEPTOSFMT_VERSION (about 4 minutes, once)"
    cargo install leptosfmt --locked --version "$LEPTOSFMT_VERSION"
  fi
}

# Puts tools/node_modules/.bin first on PATH (cargo-leptos runs the first `wasm-opt` there) and
# checks that it is the pinned version.
ensure_wasm_opt() {
  if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
    say "Installing wasm-opt $WASM_OPT_VERSION (npm binaryen)"
    (cd tools && npm ci --no-audit --no-fund)
  fi
  export PATH="$PWD/tools/node_modules/.bin:$PATH"
  local found
  found=$(wasm-opt --version 2>&1 || true)
  if [[ "$found" != "wasm-opt version $WASM_OPT_VERSION "* ]]; then
    printf '\033[1;31mwasm-opt %s is needed (from tools/node_modules), found: %s (%s)\033[0m\n' \
      "$WASM_OPT_VERSION" "${found:-nothing}" "$(command -v wasm-opt || echo 'not on PATH')" >&2
    exit 1
  fi
}

ensure_browser_tools() {
  if [ ! -x /usr/bin/chromium ]; then
    say "Installing Chromium"
    apt_install chromium
  fi
  if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "Installing the end-to-end test packages"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
}

# schemathesis (PyPI, every package pinned in contract/requirements.txt) in its own virtualenv.
ensure_schemathesis() {
  local venv=target/contract-venv
  if [ ! -x "$venv/bin/st" ] || [ contract/requirements.txt -nt "$venv/.installed" ]; then
    say "Installing schemathesis (PyPI, pinned in contract/requirements.txt)"
    command -v python3 >/dev/null || apt_install python3
    if ! python3 -m venv "$venv" 2>/dev/null; then
      apt_install python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r contract/requirements.txt
    touch "$venv/.installed"
  fi
}

# The webhook receiver of the delivery tests (tests/webhook_receiver): Python with the published
# Standard Webhooks library (PyPI, pinned in tests/webhook_receiver/requirements.txt), in its own
# virtualenv. tests/it/webhook_delivery.rs runs target/webhook-venv/bin/python.
# The Python processes the tests talk to, in one virtualenv: the webhook receiver
# (`standardwebhooks`) and the SMTP sink of the mail tests (`aiosmtpd`).
ensure_webhook_receiver() {
  local venv=target/webhook-venv
  local requirements=tests/webhook_receiver/requirements.txt
  local sink=tests/smtp_sink/requirements.txt
  if [ ! -x "$venv/bin/python" ] || [ "$requirements" -nt "$venv/.installed" ] \
    || [ "$sink" -nt "$venv/.installed" ]; then
    say "Installing the test receivers' Python packages (PyPI, pinned in $requirements and $sink)"
    command -v python3 >/dev/null || apt_install python3
    if ! python3 -m venv "$venv" 2>/dev/null; then
      apt_install python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" -r "$sink"
    touch "$venv/.installed"
  fi
}
