#!/usr/bin/env bash
# Fuzzes the integration API from its own OpenAPI document with schemathesis:
# zero 5xx, responses as documented, every error a JSON body.
#   scripts/fuzz.sh URL KEY [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
url=$1 key=$2 n=${3:-40}
venv=.tools/venv
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q schemathesis==4.32.5
fi
exec "$venv/bin/st" run "$url/api/v1/openapi.json" \
  -H "Authorization: Bearer $key" -H "Idempotency-Key: fuzz-$(date +%s%N)" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --phases examples,coverage,fuzzing --max-examples "$n" --seed 20261127 --workers 1 --request-timeout 5
