#!/usr/bin/env bash
# Precompresses the built static files once, at build time (issue 16): for each
# .js, .wasm, .css, .svg and .json under the given folders, F.br (brotli,
# quality 11) and F.gz (gzip -9) beside F, so the server sends them as they are
# (tower-http ServeDir's precompressed support) instead of compressing every
# request at a low level. A .br/.gz older than its file is made again; the
# server also drops stale ones at start.
#   scripts/precompress.sh target/site target/device
set -euo pipefail
cd "$(dirname "$0")/.."
.tools/venv/bin/python - "$@" <<'PY'
import gzip, os, sys
import brotli
made = 0
for root in sys.argv[1:]:
    for dirpath, _, files in os.walk(root):
        for name in files:
            # Not HTML: the server hashes a page's inline scripts into its
            # Content-Security-Policy, so it must read the page uncompressed.
            if not name.endswith((".js", ".wasm", ".css", ".svg", ".json")):
                continue
            src = os.path.join(dirpath, name)
            data = None
            for ext, pack in ((".br", lambda d: brotli.compress(d, quality=11)), (".gz", lambda d: gzip.compress(d, 9, mtime=0))):
                dst = src + ext
                if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
                    continue
                if data is None:
                    data = open(src, "rb").read()
                tmp = dst + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(pack(data))
                os.replace(tmp, dst)
                made += 1
print(f"[precompress] {made} files written", file=sys.stderr)
PY
