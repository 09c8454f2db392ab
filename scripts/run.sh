#!/usr/bin/env bash
# Runs haocha with demo data on an embedded SQLite database:
#   scripts/run.sh            → http://127.0.0.1:3000/
# HAOCHA_ADDR, HAOCHA_DATABASE_URL and HAOCHA_PUBLIC_URL override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

say "building (release): server and wasm"
cargo leptos build --release
say "building the kiosk bundle (/device/app/)"
trunk build --release --offline
scripts/precompress.sh target/site target/device
bin="${CARGO_TARGET_DIR:-target}/release/haocha"

say "loading demo data"
"$bin" demo
say "starting: press Ctrl-C to stop"
exec "$bin" serve
