#!/usr/bin/env bash
# Runs every test: rustfmt and clippy (no warnings), Rust unit and integration
# tests on SQLite and PostgreSQL, then Playwright in Debian's Chromium with
# JavaScript on and off.
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
started=$(date +%s)

# ---- PostgreSQL: start the machine's cluster, a login role, a fresh database per test ----
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  say "creating PostgreSQL cluster $ver main"
  as_root pg_createcluster "$ver" main
  cluster="$ver main"
fi
if ! pg_lsclusters --no-header | awk -v c="$cluster" '$1" "$2==c && $4=="online"' | grep -q .; then
  say "starting PostgreSQL $cluster"
  as_root pg_ctlcluster $cluster start
fi
port=$(pg_lsclusters --no-header | awk -v c="$cluster" '$1" "$2==c {print $3}')
pg_as psql -p "$port" -v ON_ERROR_STOP=1 -qtc "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'haocha_test') THEN
    CREATE ROLE haocha_test LOGIN PASSWORD 'haocha_test' CREATEDB;
  END IF; END \$\$;" >/dev/null
# Databases left by an interrupted earlier run.
for db in $(pg_as psql -p "$port" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'haocha_t_%'"); do
  pg_as psql -p "$port" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
done
export HAOCHA_TEST_PG_URL="postgres://haocha_test:haocha_test@127.0.0.1:$port/postgres"
# The kiosk's browser test runs a server of its own on a fresh PostgreSQL database.
pg_as psql -p "$port" -qc "DROP DATABASE IF EXISTS haocha_e2e_kiosk WITH (FORCE)" >/dev/null
pg_as psql -p "$port" -qc "CREATE DATABASE haocha_e2e_kiosk OWNER haocha_test" >/dev/null
export HAOCHA_E2E_PG_DATABASE_URL="postgres://haocha_test:haocha_test@127.0.0.1:$port/haocha_e2e_kiosk"

# ---- Style and lints: unformatted code or any clippy warning fails the run ----
say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy (server side, all targets; the wasm crates for wasm32) -D warnings"
cargo clippy --workspace --exclude frontend --exclude device --all-targets -- -D warnings
cargo clippy -p device --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

# ---- Rust: unit tests and the integration suite on both databases ----
say "cargo test (SQLite and PostgreSQL)"
mkdir -p target
cargo test --workspace --exclude frontend --exclude device 2>&1 | tee target/cargo-test.log
rust_summary=$(grep -E '^test result:' target/cargo-test.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')

# ---- Browser: release build, a fresh server, Playwright JS on and off ----
say "cargo leptos build --release"
cargo leptos build --release
say "trunk build: the kiosk bundle (/device/app/)"
trunk build --release --offline
scripts/precompress.sh target/site target/device
bin="${CARGO_TARGET_DIR:-target}/release/haocha"   # CI may point CARGO_TARGET_DIR at a shared cache

e2e_dir=$(mktemp -d)
export HAOCHA_DATABASE_URL="sqlite://$e2e_dir/e2e.db?mode=rwc"
export HAOCHA_ADDR="127.0.0.1:${E2E_PORT:-3107}"
export HAOCHA_PUBLIC_URL="http://$HAOCHA_ADDR"
HAOCHA_E2E_KEY=$("$bin" demo)
export HAOCHA_E2E_KEY HAOCHA_E2E_URL="$HAOCHA_PUBLIC_URL"
export HAOCHA_BIN="$(realpath "$bin")"   # people.spec.js creates accounts with `haocha user create`
"$bin" serve 2>"$e2e_dir/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$e2e_dir"' EXIT
for _ in $(seq 1 50); do curl -sf "$HAOCHA_PUBLIC_URL/" >/dev/null && break; sleep 0.2; done

say "Playwright in $(chromium --version 2>/dev/null || echo chromium), JavaScript on and off"
set +e
(cd end2end && npx playwright test)
e2e=$?
say "schemathesis against /api/v1/openapi.json (bounded examples)"
scripts/fuzz.sh "$HAOCHA_PUBLIC_URL" "$HAOCHA_E2E_KEY" 40
fuzz=$?
set -e
if [ $e2e -ne 0 ] || [ $fuzz -ne 0 ]; then
  say "server log:"; tail -50 "$e2e_dir/server.log" >&2
fi
say "rust: $rust_summary; playwright exit $e2e; fuzz exit $fuzz; $(( $(date +%s) - started )) s"
[ $e2e -eq 0 ] && [ $fuzz -eq 0 ]
