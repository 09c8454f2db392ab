#!/usr/bin/env bash
# Installs what haocha's build and tests need, idempotently, on Debian with Rust.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock exactly
NEWER_RUST=1.99.1              # cargo-leptos 0.3.11 and trunk 0.22.1 need rustc >= 1.96 to build
TRUNK_VERSION=0.22.1           # builds the kiosk bundle (device/, Trunk.toml)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy: test.sh fails on unformatted code and on any lint.
for c in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$c"; then
    say "adding the $c component"
    rustup component add "$c"
  fi
done

if ! cargo leptos --version 2>/dev/null | grep -q "$LEPTOS_VERSION"; then
  say "installing cargo-leptos $LEPTOS_VERSION (compiles for ~15 min, once per machine)"
  rustup toolchain install "$NEWER_RUST" --profile minimal
  cargo "+$NEWER_RUST" install cargo-leptos --locked --version "$LEPTOS_VERSION"
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (compiles for ~14 min, once per machine)"
  rustup toolchain install "$NEWER_RUST" --profile minimal
  cargo "+$NEWER_RUST" install trunk --locked --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~3 min, once per machine)"
  # Not --locked: the locked set names a webpki-roots version the registry does not serve.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)   # the print test rasterises the PDF
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)   # the scale-out test's load balancer
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# npm packages: Playwright (driving Debian's Chromium), a QR decoder for the
# browser tests, and binaryen's wasm-opt (Debian's 108 breaks Leptos wasm).
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages in end2end/"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (PyPI) for the API fuzz run, in a project-local virtualenv.
if [ ! -x .tools/venv/bin/st ]; then
  say "installing schemathesis into .tools/venv"
  python3 -m venv .tools/venv 2>/dev/null || { as_root apt-get install -y -qq python3-venv; python3 -m venv .tools/venv; }
  .tools/venv/bin/pip install -q schemathesis==4.32.5 brotli
fi
