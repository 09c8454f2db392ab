"""Open event streams (issue 16): N window screens held open at once.

    python bench/streams.py setup-sql N            SQL that adds N bench windows and paired screens
    python bench/streams.py run BASE N KEY PID OUT  holds the N streams, measures, writes JSON lines

`run`: opens N streams (`GET /w/BWi/events`, each with its screen's device
cookie), waits until every one has its first event, then
  - the server's CPU over 10 s with every stream open and nothing changing
    (utime + stime of PID, in % of one core);
  - 50 new cases, one at a time, each at a random bench window: the time from
    sending the case until its screen's stream delivers the next event (p50, p99);
  - keeps the streams open while the caller runs a rating load (it waits
    for the file OUT + ".stop" to appear, at most 120 s).
Stdlib only (asyncio); the caller raises the open-file limit.
"""

import asyncio
import datetime
import hashlib
import json
import os
import random
import sys
import time
import urllib.request

PREFIX = "BW"


def credential(i):
    return "benchscreen%08d" % i


def setup_sql(n):
    # Same hall and unit as the demo's W01; created and paired "at" PARKED (the
    # bench's far-future timestamp literal, replaced per database).
    rows = []
    for i in range(1, n + 1):
        h = hashlib.sha256(credential(i).encode()).hexdigest()
        rows.append("('%s%d', '%s')" % (PREFIX, i, h))
    out = ["CREATE TEMPORARY TABLE bench_cred (code TEXT, h TEXT);"]
    for k in range(0, len(rows), 1000):
        out.append("INSERT INTO bench_cred (code, h) VALUES %s;" % ", ".join(rows[k:k + 1000]))
    out.append(
        "INSERT INTO service_window (code, name, hall_id, unit_id, active, created_at) "
        "SELECT c.code, 'bench ' || c.code, w.hall_id, w.unit_id, TRUE, PARKED "
        "FROM bench_cred c, service_window w WHERE w.code = 'W01';"
    )
    out.append(
        "INSERT INTO device (window_id, credential_hash, paired_at, created_by, created_at, pairing_failures, kind) "
        "SELECT w.id, c.h, PARKED, 'bench', PARKED, 0, 'evaluator' FROM bench_cred c JOIN service_window w ON w.code = c.code;"
    )
    return "\n".join(out)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Screen:
    def __init__(self, i):
        self.i = i
        self.events = 0
        self.changed = asyncio.Event()
        self.first = asyncio.Event()


async def hold(host, port, s, failures):
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            ("GET /w/%s%d/events HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
             "Cookie: hc_device=%s\r\n\r\n" % (PREFIX, s.i, host, port, credential(s.i))).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            failures.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
            s.first.set()
            return
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"event:"):
                s.events += 1
                s.first.set()
                s.changed.set()
    except Exception as e:  # noqa: BLE001 - counted and reported
        failures.append(repr(e))
        s.first.set()


def post_case(base, key, window, number):
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).isoformat(timespec="seconds")
    body = json.dumps({
        "case_number": number, "item_code": "11210100MB0003-001", "window_code": window,
        "completed_at": now,
    }).encode()
    req = urllib.request.Request(base + "/api/v1/cases", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def run(base, n, key, pid, out):
    hostport = base.split("//", 1)[1]
    host, port = hostport.split(":")
    port = int(port)
    screens = [Screen(i) for i in range(1, n + 1)]
    failures = []
    t0 = time.monotonic()
    tasks = []
    for k in range(0, n, 200):
        for s in screens[k:k + 200]:
            tasks.append(asyncio.create_task(hold(host, port, s, failures)))
        await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in screens)), 120)
    opened = time.monotonic() - t0
    results = [{"label": "streams: open (first event on every one)", "value": "%d of %d in %.1f s, %d failed%s" % (
        n - len(failures), n, opened, len(failures), (": " + failures[0]) if failures else "")}]
    await asyncio.sleep(3)
    c0, w0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(10)
    idle = (cpu_seconds(pid) - c0) / (time.monotonic() - w0) * 100
    results.append({"label": "streams: server CPU with %d open and nothing changing (%% of one core, 10 s)" % n,
                    "value": "%.1f" % idle})
    lat = []
    loop = asyncio.get_running_loop()
    for k in range(50):
        s = random.choice(screens)
        s.changed.clear()
        start = time.monotonic()
        await loop.run_in_executor(None, post_case, base, key, "%s%d" % (PREFIX, s.i), "BS-%d-%d" % (os.getpid(), k))
        try:
            await asyncio.wait_for(s.changed.wait(), 5)
            lat.append((time.monotonic() - start) * 1000)
        except asyncio.TimeoutError:
            lat.append(5000.0)
    results.append({"label": "streams: a new case on its screen, case POST to event (50 cases, %d streams open)" % n,
                    "value": "p50 %.0f ms, p99 %.0f ms, max %.0f ms" % (pct(lat, 50), pct(lat, 99), max(lat))})
    with open(out, "a") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    with open(out + ".ready", "w") as f:
        f.write("ready\n")
    # Held open while the caller loads the server with ratings.
    for _ in range(1200):
        if os.path.exists(out + ".stop"):
            break
        await asyncio.sleep(0.1)
    still = sum(1 for t in tasks if not t.done())
    with open(out, "a") as f:
        f.write(json.dumps({"label": "streams: still open after the rating load", "value": "%d of %d" % (still, n)}) + "\n")
    for t in tasks:
        t.cancel()


def main():
    if sys.argv[1] == "setup-sql":
        print(setup_sql(int(sys.argv[2])))
    else:
        _, _, base, n, key, pid, out = sys.argv
        asyncio.run(run(base, int(n), key, int(pid), out))


if __name__ == "__main__":
    main()
