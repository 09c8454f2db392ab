"""Turns scripts/bench.sh's results (JSON lines) into BENCHMARKS.md."""
import datetime
import json
import os
import platform
import subprocess
import sys


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
mem = sh("free -g | awk '/Mem:/ {print $2}'")
out = []
out.append("# BENCHMARKS\n")
out.append("Written by `scripts/bench.sh` (wrk 4.1 on loopback, release build, durable commits:")
out.append("SQLite WAL + synchronous=FULL; PostgreSQL 15 defaults). Do not edit by hand.\n")
out.append(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
out.append(f"- commit: {sh('git rev-parse --short HEAD')}")
out.append(f"- machine: {os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.system()} {platform.release()}\n")

out.append("## Rating page weight\n")
out.append("| file | raw B | gzip B | brotli B |")
out.append("|---|---:|---:|---:|")
js_wasm = [0, 0, 0]
for r in rows:
    if r["label"].startswith("weight "):
        name = r["label"][len("weight "):]
        out.append(f"| {name} | {r['raw']:,} | {r['gzip']:,} | {r['brotli']:,} |")
        if name in ("JS", "wasm"):
            js_wasm = [a + b for a, b in zip(js_wasm, (r["raw"], r["gzip"], r["brotli"]))]
out.append(f"| **wasm + JS** | {js_wasm[0]:,} | {js_wasm[1]:,} | **{js_wasm[2]:,}** (budget 100,000) |\n")

out.append("## Load (wrk)\n")
out.append("| run | requests | req/s | p50 ms | p99 ms | max ms | non-2xx | socket errors |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    w = r.get("wrk")
    if not w:
        continue
    rps = w["requests"] / (w["duration_us"] / 1e6) if w["duration_us"] else 0
    out.append(
        f"| {r['label']} | {w['requests']:,} | {rps:,.0f} | {w['p50_us']/1000:.1f} | {w['p99_us']/1000:.1f} | "
        f"{w['max_us']/1000:.1f} | {w['non_2xx']} | {w['socket_errors']} |"
    )
out.append("")
out.append("## Other figures\n")
for r in rows:
    if "value" in r:
        out.append(f"- {r['label']}: {r['value']}")
out.append("")
print("\n".join(out))
