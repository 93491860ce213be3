#!/usr/bin/env python3
"""Measures the bounds of issue 25 on the release server, on SQLite and on Postgres.

    python3 scripts/measure_bounds.py                 # everything, both databases (~8–15 min)
    python3 scripts/measure_bounds.py --db sqlite --only burst,stream
    python3 scripts/measure_bounds.py --quick         # small sizes, short idle: proves it runs

What it measures (the server's resident memory read from /proc/<pid>/status: VmRSS, and VmHWM for
the peak, reset through /proc/<pid>/clear_refs before each measurement):

  burst    60 ICPs of ~220 KB provider-specific filters each (long strings: the API refuses bodies
           of more than 4,000 JSON values), then GET ?limit=60, 59, 58, 57: RSS before, right after,
           and after --idle seconds; then after 200 small requests (the allocator, mimalloc, gives
           freed pages back only when it is used again); then --burst-clients clients fetching the
           four pages at once (peak, 15 s later, after 200 small requests).
           Goal: <= 512 MB after the burst, < 256 MB after idle.
  methods  1,000 requests with made-up methods (X1 / HTTP/1.1 ...), lines of /metrics before and
           after. Goal: no growth per method.
  head     a signed-out POST /forms/icps/import sending only its head (Content-Length: 4194304):
           time to the answer. Goal: at once, 413.
  stream   GET /api/v1/entities/icps (no query: every ICP) with --icps ICPs (100,000) for one user,
           on a freshly started server (seeded through the import form, then restarted, so memory
           freed by the seeding cannot hide what the stream takes), RSS sampled every 50 ms; then
           once more on the same process. Goal: growth < 16 MB.
  healthz  /healthz every 10 ms (a new connection each) while an import runs, twice:
           short: 1,000 ICPs × 50 matchFieldWithRegex filters, the costliest pattern that still
                  fits the 4 MiB file (~25 characters);
           long:  50 filters per ICP with the pattern (≤ 1,000 characters) that costs the validator
                  most per byte of file, as many ICPs as fit in 4 MiB (the most validation one
                  accepted file can ask for).
           Patterns are picked by timing candidates (benches/regex_budget.rs's shapes) through
           POST /api/v1/entities/icps/validate. Reports the import's answer and duration, the
           server's CPU until the answer and in the seconds after it (work still running after a
           503), and /healthz p50/p99/max before and during it. Goal: /healthz within 50 ms.

Python 3.11 standard library only. Needs target/release/icp-builder (cargo leptos build --release),
and for Postgres `psql` and a server at --postgres (a schema `bounds` is dropped and made afresh).
Files go under target/bounds/ (databases, server logs, results-<time>.json).
"""

import argparse
import datetime
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "icp-builder")
OUT = os.path.join(ROOT, "target", "bounds")
PASSWORD = "bounds-password-1"

MAX_IMPORT_BYTES = 4 * 1024 * 1024  # src/icps/transfer.rs
MAX_EXPANDED = 10_000  # src/domain/regex_cost.rs
MAX_DEPTH = 32
MAX_BODY = 256 * 1024


def say(*words):
    print("==>", *words, file=sys.stderr, flush=True)


# --- the server's memory --------------------------------------------------------------------------


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/{pid}/status")


def rss_mb(pid):
    return status_kb(pid, "VmRSS") / 1024


def hwm_mb(pid):
    return status_kb(pid, "VmHWM") / 1024


def memory_kb(pid):
    """VmRSS, RssAnon (heap, stacks) and RssFile (mapped files), in kB."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                found[key] = int(line.split()[1])
    return found


def cpu_seconds(pid):
    """CPU time the process has used (user + system), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_hwm(pid):
    """Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Sampler:
    """RSS of `pid` every `interval` seconds, in a thread, until stopped."""

    def __init__(self, pid, interval=0.05):
        self.pid, self.interval, self.samples, self.detail = pid, interval, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.monotonic()
        while not self._stop.is_set():
            try:
                m = memory_kb(self.pid)
            except OSError:
                return
            self.samples.append((time.monotonic() - start, m["VmRSS"] / 1024))
            self.detail.append((round(time.monotonic() - start, 2), round(m["RssAnon"] / 1024, 1),
                                round(m["RssFile"] / 1024, 1)))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()

    def max(self):
        return max((mb for _, mb in self.samples), default=float("nan"))


OWN_PIDS = set()
# --cache-mib: the server's CACHE_MIB (None: its default, 64).
CACHE_MIB = None


def machine_load():
    """Load average and what else is running that competes for the 2 cores."""
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    try:
        procs = subprocess.run(["pgrep", "-a", r"^(cargo|rustc|icp-builder|chrom|node|postgres|soak)"],
                               capture_output=True, text=True, check=False).stdout.splitlines()
    except FileNotFoundError:
        procs = []
    counts = {}
    for line in procs:
        pid, _, cmd = line.partition(" ")
        if int(pid) in OWN_PIDS:
            continue
        name = os.path.basename(cmd.split()[0]).rstrip(":") if cmd else "?"
        if name == "postgres":
            # Only backends at work: not idle connections, not the server's own processes.
            if not cmd.startswith("postgres: ") or "127.0.0.1(" not in cmd or cmd.endswith("idle"):
                continue
            name = "postgres backend (busy)"
        counts[name] = counts.get(name, 0) + 1
    try:
        # Load generators written in Python (scripts/soak.py and the like) by their script's name.
        for line in subprocess.run(["pgrep", "-af", r"python3? .*scripts/(soak|bench)"], capture_output=True,
                                   text=True, check=False).stdout.splitlines():
            pid, _, cmd = line.partition(" ")
            if int(pid) != os.getpid() and "measure_bounds" not in cmd:
                name = os.path.basename(cmd.split()[1]) if len(cmd.split()) > 1 else "python3"
                counts[name] = counts.get(name, 0) + 1
    except FileNotFoundError:
        pass
    others = ", ".join(f"{n}×{c}" if c > 1 else n for n, c in sorted(counts.items()))
    return f"load {load}" + (f"; others running: {others}" if others else "")


# --- the server -------------------------------------------------------------------------------------


class Server:
    def __init__(self, name, database_url, port, metrics_port, log_dir):
        self.name, self.database_url = name, database_url
        self.host = f"127.0.0.1:{port}"
        self.port = port
        self.metrics = f"127.0.0.1:{metrics_port}"
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None

    @property
    def url(self):
        return f"http://{self.host}"

    @property
    def pid(self):
        return self.proc.pid

    def env(self):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            LEPTOS_SITE_ADDR=self.host,
            METRICS_ADDR=self.metrics,
            RUST_LOG="warn",
            # What scripts/serve.sh sets for the release build.
            LEPTOS_OUTPUT_NAME="icp-builder",
            LEPTOS_SITE_ROOT="target/site",
            LEPTOS_SITE_PKG_DIR="pkg",
            LEPTOS_ENV="PROD",
            LEPTOS_HASH_FILES="true",
            LEPTOS_HASH_FILE_NAME="hash.txt",
        )
        for key in ("PUBLIC_URL", "TRUSTED_PROXIES", "CACHE_MIB", "REQUEST_TIMEOUT"):
            env.pop(key, None)
        if CACHE_MIB is not None:
            env["CACHE_MIB"] = str(CACHE_MIB)
        return env

    def start(self):
        log = open(self.log_path, "ab")
        # The binary may be rebuilt between servers (someone else's cargo leptos build): say which.
        self.binary_mtime = datetime.datetime.fromtimestamp(os.path.getmtime(BIN), datetime.timezone.utc) \
            .isoformat(timespec="seconds")
        self.proc = subprocess.Popen([BIN, "serve"], cwd=ROOT, env=self.env(), stdout=log, stderr=log)
        OWN_PIDS.add(self.proc.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                status, _, _ = request(self.host, "GET", "/readyz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not become ready; see {self.log_path}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cli(self, *args, stdin=None):
        out = subprocess.run(
            [BIN, *args], cwd=ROOT, env=self.env(), input=stdin, capture_output=True, text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"icp-builder {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout.strip()

    def user(self, email):
        """A user made with the CLI and an API token for it."""
        self.cli("users", "create", "--email", email, "--name", email.split("@")[0], stdin=PASSWORD + "\n")
        return self.cli("tokens", "create", "--email", email, "--label", "bounds")


# --- HTTP --------------------------------------------------------------------------------------------


def request(host, method, path, body=None, headers=None, timeout=60, conn=None):
    """(status, headers, body bytes) of one request; `conn` keeps a connection alive."""
    own = conn is None
    if own:
        h, p = host.split(":")
        conn = http.client.HTTPConnection(h, int(p), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.headers, data
    finally:
        if own:
            conn.close()


def api_headers(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def sign_in(server, email):
    """The `icp_session` cookie of a browser session for `email` (POST /sign-in, a form)."""
    body = urllib.parse.urlencode({"email": email, "password": PASSWORD})
    status, headers, _ = request(
        server.host, "POST", "/sign-in", body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": server.url},
    )
    for cookie in headers.get_all("Set-Cookie") or []:
        name, _, rest = cookie.partition("=")
        if name.strip() == "icp_session":
            return "icp_session=" + rest.split(";")[0]
    raise RuntimeError(f"sign-in answered {status} without an icp_session cookie")


def multipart_file(content, boundary="boundsboundary7MA4YWxkTrZu0gW"):
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="icps.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + content + tail, f"multipart/form-data; boundary={boundary}"


def multipart_overhead():
    body, _ = multipart_file(b"")
    return len(body)


def import_file(server, cookie, content, timeout=120):
    body, ctype = multipart_file(content)
    start = time.monotonic()
    status, headers, data = request(
        server.host, "POST", "/forms/icps/import", body=body, timeout=timeout,
        headers={"Content-Type": ctype, "Origin": server.url, "Cookie": cookie},
    )
    return status, headers, data, time.monotonic() - start, len(body)


def raw_exchange(host, payload, timeout=15):
    """Sends `payload` on a new connection and reads until the server closes or the first answer's
    status line and headers are in: (seconds to the first byte, status line, bytes read)."""
    h, p = host.split(":")
    with socket.create_connection((h, int(p)), timeout=timeout) as sock:
        start = time.monotonic()
        sock.sendall(payload)
        data, first = b"", None
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            if first is None:
                first = time.monotonic() - start
            data += chunk
        status = data.split(b"\r\n", 1)[0].decode("latin-1") if data else "(closed, no answer)"
        return first if first is not None else time.monotonic() - start, status, data


# --- 1. the cache burst ---------------------------------------------------------------------------

README_ICP = {
    "name": "DACH Tech Leaders",
    "description": "Technology leaders in German-speaking regions",
    "leadProviderCriteria": [{
        "provider": "baseProvider", "type": "person",
        "filters": {"job_title": ["CTO", "VP Engineering"], "location": {"country": ["Germany", "Austria"]},
                    "company": {"employee_size": {"min": 100, "max": 5000}}},
    }],
    "customFilterCriteria": [{"type": "maxPeoplePerCompany", "value": 2}],
    "crmFilters": None,
    "userIds": [],
    "leadsPerList": 20,
    "activeUntil": None,
}


LETTERS = bytes(ord("a") + b % 26 for b in range(256))


def big_icp(i, strings, chars):
    body = json.loads(json.dumps(README_ICP))
    body["name"] = f"Burst {i:03d}"
    rnd = random.Random(i)
    # Different text per ICP and string (nothing a compressor or an interner could share).
    body["leadProviderCriteria"][0]["filters"]["notes"] = [
        rnd.randbytes(chars).translate(LETTERS).decode() for _ in range(strings)
    ]
    return json.dumps(body, separators=(",", ":")).encode()


def measure_burst(server, token, a):
    h = server.host
    auth = api_headers(token)
    # The original shape, for the record: an array of small numbers.
    scores = json.loads(json.dumps(README_ICP))
    scores["name"] = "Scores"
    scores["leadProviderCriteria"][0]["filters"]["scores"] = [i % 100 for i in range(a.burst_kb * 1000 // 4)]
    scores_body = json.dumps(scores, separators=(",", ":")).encode()
    st, _, data = request(h, "POST", "/api/v1/entities/icps", body=scores_body, headers=auth)
    try:
        scores_answer = f"{st} {json.loads(data)['error']['details'][0]['message']}"
    except (ValueError, KeyError, IndexError, TypeError):
        scores_answer = f"{st} {data[:200]!r}"

    strings = a.burst_kb * 1000 // 5000
    bodies = [big_icp(i, strings, 5000) for i in range(a.burst_icps)]
    time.sleep(1)
    before = rss_mb(server.pid)
    reset_hwm(server.pid)
    statuses = {}
    lock = threading.Lock()
    queue = list(enumerate(bodies))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                _, body = queue.pop()
            st, _, _ = request(h, "POST", "/api/v1/entities/icps", body=body, headers=auth, conn=conn)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1
        conn.close()

    start = time.monotonic()
    with Sampler(server.pid) as sampler:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after_creates = rss_mb(server.pid)
        pages = []
        for limit in (60, 59, 58, 57):
            t0 = time.monotonic()
            st, _, data = request(h, "GET", f"/api/v1/entities/icps?limit={limit}", headers=auth)
            items = len(json.loads(data)) if st == 200 else 0
            pages.append({"limit": limit, "status": st, "bytes": len(data), "items": items,
                          "seconds": round(time.monotonic() - t0, 3)})
            del data
    burst_seconds = time.monotonic() - start
    after = rss_mb(server.pid)
    peak = max(hwm_mb(server.pid), sampler.max())
    say(f"{server.name} burst: RSS {before:.0f} → {after:.0f} MB (peak {peak:.0f}); idle {a.idle} s…")
    time.sleep(a.idle)
    idle = rss_mb(server.pid)
    # mimalloc returns freed pages to the system only when the allocator is used again: the RSS
    # after a trickle of small requests.
    for _ in range(200):
        request(h, "GET", "/api/v1/entities/icps?limit=1", headers=auth)
    time.sleep(1)
    after_small = rss_mb(server.pid)
    parallel = []
    for clients in a.burst_clients:
        reset_hwm(server.pid)
        start_rss = rss_mb(server.pid)

        def pages_client():
            for limit in (60, 59, 58, 57):
                request(h, "GET", f"/api/v1/entities/icps?limit={limit}", headers=auth)

        with Sampler(server.pid) as sampler:
            threads = [threading.Thread(target=pages_client) for _ in range(clients)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - t0
        right_after = rss_mb(server.pid)
        peak_n = max(hwm_mb(server.pid), sampler.max())
        time.sleep(15)
        idle_n = rss_mb(server.pid)
        for _ in range(200):
            request(h, "GET", "/api/v1/entities/icps?limit=1", headers=auth)
        time.sleep(1)
        parallel.append({"clients": clients, "rss_before": start_rss, "peak": peak_n, "rss_after": right_after,
                         "rss_idle_15s": idle_n, "rss_after_small": rss_mb(server.pid), "seconds": took})
        say(f"{server.name} burst, {clients} clients × 4 pages at once: peak {peak_n:.0f} MB, "
            f"{idle_n:.0f} MB 15 s later")
    return {
        "rss_after_small_requests": after_small, "parallel": parallel,
        "shape": f'leadProviderCriteria[0].filters.notes: {strings} strings × 5,000 chars '
                 f'(bodies {min(map(len, bodies)):,}–{max(map(len, bodies)):,} B)',
        "scores_shape": f'filters.scores: {len(scores["leadProviderCriteria"][0]["filters"]["scores"]):,} '
                        f'small numbers ({len(scores_body):,} B)',
        "scores_answer": scores_answer,
        "creates": statuses, "pages": pages,
        "rss_before": before, "rss_after_creates": after_creates, "rss_after": after, "peak": peak,
        "rss_idle": idle, "idle_seconds": a.idle, "burst_seconds": burst_seconds,
    }


# --- 2. made-up methods -----------------------------------------------------------------------------


def metrics_lines(server):
    st, _, data = request(server.metrics, "GET", "/metrics")
    if st != 200:
        raise RuntimeError(f"/metrics answered {st}")
    lines = data.decode().splitlines()
    methods = set()
    for line in lines:
        if 'method="' in line:
            methods.add(line.split('method="', 1)[1].split('"', 1)[0])
    return len(lines), sorted(methods)


def measure_methods(server, count):
    lines_0, _ = metrics_lines(server)
    statuses = {}

    def one(n):
        payload = f"X{n} / HTTP/1.1\r\nHost: {server.host}\r\nConnection: close\r\n\r\n".encode()
        _, status, _ = raw_exchange(server.host, payload)
        code = status.split(" ")[1] if " " in status else status
        statuses[code] = statuses.get(code, 0) + 1

    one(1)
    time.sleep(0.2)
    lines_1, _ = metrics_lines(server)
    for n in range(2, count + 1):
        one(n)
    time.sleep(0.2)
    lines_n, methods = metrics_lines(server)
    return {"requests": count, "statuses": statuses, "lines_before": lines_0, "lines_after_first": lines_1,
            "lines_after": lines_n, "method_labels": methods}


# --- 3. a signed-out import's head ----------------------------------------------------------------


def measure_head(server):
    head = (
        "POST /forms/icps/import HTTP/1.1\r\n"
        f"Host: {server.host}\r\n"
        f"Origin: {server.url}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {MAX_IMPORT_BYTES}\r\n\r\n"
    ).encode()
    seconds, status, _ = raw_exchange(server.host, head, timeout=40)
    return {"seconds": seconds, "status": status}


# --- 4. streaming every ICP -----------------------------------------------------------------------


def small_icps(first, count):
    out = []
    for i in range(first, first + count):
        body = dict(README_ICP)
        body["name"] = f"Stream {i:06d}"
        out.append(body)
    return json.dumps(out, separators=(",", ":")).encode()


def seed(server, cookie, total, log_every=10):
    done, start = 0, time.monotonic()
    while done < total:
        n = min(1000, total - done)
        st, headers, data, _, _ = import_file(server, cookie, small_icps(done, n))
        if st != 303:
            raise RuntimeError(f"seeding import answered {st}: {data[:300]!r}")
        done += n
        if (done // 1000) % log_every == 0:
            say(f"{server.name}: seeded {done:,} ICPs ({time.monotonic() - start:.0f} s)")
    return time.monotonic() - start


def measure_stream(server, token, expected):
    h, p = server.host.split(":")
    # Warm: the token's owner, a page, the connection pool.
    request(server.host, "GET", "/api/v1/entities/icps?limit=1", headers=api_headers(token))
    time.sleep(1)
    before = rss_mb(server.pid)
    before_detail = memory_kb(server.pid)
    reset_hwm(server.pid)
    chunks, size = [], 0
    conn = http.client.HTTPConnection(h, int(p), timeout=120)
    with Sampler(server.pid, 0.05) as sampler:
        start = time.monotonic()
        conn.request("GET", "/api/v1/entities/icps", headers=api_headers(token))
        resp = conn.getresponse()
        first_byte = None
        while True:
            chunk = resp.read1(1 << 16)
            if not chunk:
                break
            if first_byte is None:
                first_byte = time.monotonic() - start
            chunks.append(chunk)
            size += len(chunk)
        seconds = time.monotonic() - start
    conn.close()
    status = resp.status
    after = rss_mb(server.pid)
    peak = max(hwm_mb(server.pid), sampler.max())
    detail = sampler.detail
    anon_peak = max((a for _, a, _ in detail), default=0)
    file_peak = max((f for _, _, f in detail), default=0)
    # A timeline of (s, RssAnon MB, RssFile MB), about 40 points.
    timeline = detail[:: max(1, len(detail) // 40)] + detail[-1:]
    body = b"".join(chunks)
    del chunks
    try:
        items = json.loads(body)
        count, valid = len(items), True
        names_unique = len({i["id"] for i in items}) == count
        del items
    except ValueError as error:
        count, valid, names_unique = 0, False, False
        say(f"{server.name}: the streamed body is not JSON ({error}); its end: {body[-200:]!r}")
    return {
        "status": status, "bytes": size, "seconds": seconds, "first_byte": first_byte,
        "items": count, "valid_json": valid, "ids_unique": names_unique, "expected": expected,
        "rss_before": before, "rss_after": after, "peak": peak, "growth": peak - before,
        "samples": len(sampler.samples),
        "anon_before": before_detail["RssAnon"] / 1024, "file_before": before_detail["RssFile"] / 1024,
        "anon_peak": anon_peak, "file_peak": file_peak, "timeline_s_anon_file": timeline,
    }


# --- 5. /healthz during the worst accepted import -------------------------------------------------


def measure_pattern(pattern):
    """src/domain/regex_cost.rs::measure, for the shapes below: (expanded, depth)."""
    stack = [[0, 0, 0]]  # opening, done, last
    depth, i, n = 0, 0, len(pattern)

    def push(frame, weight):
        frame[1] += frame[2]
        frame[2] = weight

    while i < n:
        c = pattern[i]
        if c == "\\":
            push(stack[-1], 2)
            i += 2
        elif c == "[":
            j = i + 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            push(stack[-1], j + 1 - i)
            i = j + 1
        elif c == "(":
            length = 3 if pattern[i + 1:i + 3] in ("?:", "?=", "?!") else 4 if pattern[i + 1:i + 4] in ("?<=", "?<!") else 1
            stack.append([length, 0, 0])
            depth = max(depth, len(stack) - 1)
            i += length
        elif c == ")" and len(stack) > 1:
            o, d, l = stack.pop()
            push(stack[-1], o + d + l + 1)
            i += 1
        elif c == "|":
            push(stack[-1], 1)
            push(stack[-1], 0)
            i += 1
        elif c in "*+?{":
            if c == "{":
                j = pattern.index("}", i)
                inner = pattern[i + 1:j]
                lo, comma, hi = inner.partition(",")
                lo = int(lo)
                more = bool(comma) and (hi == "" or int(hi) > lo)
                length = j + 1 - i
            else:
                lo, more, length = (1 if c == "+" else 0), True, 1
            if i + length < n and pattern[i + length] == "?":
                length += 1
            times = max(lo, 1) + (1 if more and lo > 0 else 0)
            frame = stack[-1]
            frame[2] = frame[2] * times + length
            push(frame, 0)
            i += length
        else:
            push(stack[-1], 1)
            i += 1
    total = 0
    while stack:
        o, d, l = stack.pop()
        total += o + d + l
    return total, depth


# Short shapes whose repeats the engine writes out; A, B, … are letters varied per filter, p/q/r
# the counts, searched for the largest expansion within the budget and the length.
TEMPLATES = [
    ("3 nested {n} around a|b", "(?:(?:(?:A|B){p}){q}){r}"),
    ("2 nested {n} around 7 branches", "(?:(?:A|B|C|D|E|F|G){p}){q}"),
    ("2 nested {n} around a+|b+", "(?:(?:A+|B+){p}){q}"),
    ("{n} around (a|b)+ around {n}", "(?:(?:(?:A|B){p})+){q}"),
    ("2 nested {n} around lookaheads", "(?:(?:(?=A)|(?=B)|C){p}){q}"),
    ("2 nested {n} around a class", "(?:(?:[A-B]|C){p}){q}"),
]


def best_of_template(template, max_chars):
    best = None
    slots = [s for s in "pqr" if "{" + s + "}" in template]
    ranges = range(2, 100)

    def fill(counts):
        out = template
        for s, v in zip(slots, counts):
            out = out.replace("{" + s + "}", "{" + str(v) + "}")
        return out.replace("A", "a").replace("B", "b").replace("C", "c").replace("D", "d") \
            .replace("E", "e").replace("F", "f").replace("G", "g")

    def search(prefix):
        nonlocal best
        if len(prefix) == len(slots):
            pattern = fill(prefix)
            expanded, depth = measure_pattern(pattern)
            if len(pattern) <= max_chars and expanded <= MAX_EXPANDED and depth <= MAX_DEPTH:
                if best is None or expanded > best[0]:
                    best = (expanded, pattern)
            return
        for v in ranges:
            search(prefix + [v])

    if len(slots) == 3:
        ranges = range(2, 40)
    search([])
    return best


def vary(pattern, k):
    """The pattern with its letters moved along the alphabet (a different pattern per filter)."""
    shift = k % 19
    out = []
    for ch in pattern:
        out.append(chr(ord("a") + (ord(ch) - ord("a") + shift) % 26) if "a" <= ch <= "g" else ch)
    return "".join(out)


def regex_icp(i, pattern, filters):
    return {
        "name": f"Regex {i:04d}",
        "leadProviderCriteria": [],
        "customFilterCriteria": [
            {"type": "matchFieldWithRegex", "field": "f", "regex": vary(pattern, i * max(filters, 1) + k)}
            for k in range(filters)
        ],
        "userIds": [],
        "leadsPerList": 20,
    }


def nested(inner, depth, quantifiers):
    """`(?:…){q}` around `inner`, alternating two quantifiers, `depth` times (benches/regex_budget.rs)."""
    pattern = inner
    for level in range(depth):
        pattern = f"(?:{pattern}){quantifiers[level % 2]}"
    return pattern


def accepted_locally(pattern, max_chars):
    expanded, depth = measure_pattern(pattern)
    return len(pattern) <= max_chars and expanded <= MAX_EXPANDED and depth <= MAX_DEPTH


def long_candidates(max_chars=1000):
    """The shapes of benches/regex_budget.rs (repeated alternations, classes, lookarounds, loops),
    each nested as deep as the budget allows under every pair of quantifiers, or repeated up to
    the length limit: (name, pattern, expanded)."""
    bodies = []
    for branches in (10, 30, 60, 90, 99, 100, 150):
        bodies.append((f"{branches} × ab alternation", "|".join(["ab"] * branches)))
        bodies.append((f"{branches} × a alternation", "|".join(["a"] * branches)))
        bodies.append((f"{branches} × lookahead alternation", "|".join(["(?=a)"] * branches)))
    klass = "".join(chr(0x100 + 2 * i) for i in range(100))
    bodies += [("literal run", "abcdefghij"), ("100-char class", f"[{klass}]"), ("lookahead", "(?=a)"),
               ("lookbehind alternation", "(?<=a|b|c)"), ("any", "."), ("loop", "(?:a|b)+"),
               ("negative lookahead + class", "(?!a)[a-z]")]
    quantifiers = ["{5}", "{4}", "{3}", "{2}", "+", "{5,}", "{2,}", "{1,5}"]
    out = {}
    for name, body in bodies:
        for first in quantifiers:
            for second in quantifiers:
                deepest = None
                for depth in range(1, MAX_DEPTH + 1):
                    pattern = nested(body, depth, (first, second))
                    if not accepted_locally(pattern, max_chars):
                        break
                    deepest = pattern
                if deepest:
                    out[deepest] = f"{name} in {first}/{second}"
        flat = body
        while len(flat) + len(body) < max_chars:
            flat += body
        if accepted_locally(flat, max_chars):
            out[flat] = f"{name} × length limit"
    # Per shape, the 4 that expand most (what costs the engine): ~150 to time.
    best = {}
    for pattern, name in out.items():
        best.setdefault(name.split(" in ")[0], []).append((measure_pattern(pattern)[0], name, pattern))
    keep = []
    for group in best.values():
        keep += sorted(group, reverse=True)[:4]
    return [(name, pattern, expanded) for expanded, name, pattern in keep]


def short_candidates(max_chars):
    out = []
    for name, template in TEMPLATES:
        found = best_of_template(template, max_chars)
        if found:
            out.append((name, found[1], found[0]))
    return out


def validate_seconds(server, token, body, reps):
    """The fastest of `reps` /validate calls of `body`, or None when it is refused."""
    best = None
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for _ in range(reps):
            t0 = time.monotonic()
            st, _, data = request(server.host, "POST", "/api/v1/entities/icps/validate", body=body,
                                  headers=api_headers(token), conn=conn)
            took = time.monotonic() - t0
            if st != 200:
                say(f"refused by /validate: {st} {data[:200]!r}")
                return None
            best = took if best is None else min(best, took)
    finally:
        conn.close()
    return best


def filter_bytes(pattern):
    """What one filter with `pattern` takes in a file (compact JSON, with its comma)."""
    return len(json.dumps({"type": "matchFieldWithRegex", "field": "f", "regex": pattern},
                          separators=(",", ":"), ensure_ascii=False).encode()) + 1


def pick_pattern(server, token, candidates, filters):
    """The candidate costing /validate most per byte of file: one ICP of `filters` copies of it,
    timed against the same ICP without filters (all once with 10 copies, then the costliest 8
    again, best of 15 with `filters` copies)."""
    base = validate_seconds(server, token, json.dumps(regex_icp(0, "", 0)).encode(), 15)

    def per_pattern(pattern, reps, copies):
        took = validate_seconds(server, token, json.dumps(regex_icp(0, pattern, copies)).encode(), reps)
        return None if took is None else max(0.0, took - base) / copies

    first = []
    for name, pattern, expanded in candidates:
        cost = per_pattern(pattern, 1, 10)
        if cost is not None:
            first.append((cost / filter_bytes(pattern), name, pattern, expanded))
    first.sort(reverse=True)
    timings = []
    for _, name, pattern, expanded in first[:8]:
        cost = per_pattern(pattern, 15, filters)
        timings.append({"shape": name, "pattern": pattern, "chars": len(pattern), "expanded": expanded,
                        "compile_us": cost * 1e6, "us_per_byte": cost * 1e6 / filter_bytes(pattern)})
    timings.sort(key=lambda t: -t["us_per_byte"])
    if not timings:
        raise RuntimeError("no candidate pattern was accepted")
    return timings[0], timings, len(first)


class Prober:
    """GET /healthz every `interval` s on a new connection each time, in a thread."""

    def __init__(self, host, interval=0.01):
        self.host, self.interval = host, interval
        self.results = []  # (start offset, latency s, ok)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        payload = f"GET /healthz HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n\r\n".encode()
        h, p = self.host.split(":")
        begin = self.begin
        tick = begin
        while not self._stop.is_set():
            t0 = time.monotonic()
            ok = False
            try:
                with socket.create_connection((h, int(p)), timeout=10) as sock:
                    sock.sendall(payload)
                    data = b""
                    while True:
                        chunk = sock.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    ok = data.startswith(b"HTTP/1.1 200")
            except OSError:
                pass
            self.results.append((t0 - begin, time.monotonic() - t0, ok))
            tick += self.interval
            delay = tick - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                tick = time.monotonic()

    def __enter__(self):
        self.begin = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def latency_summary(latencies):
    if not latencies:
        return {"n": 0}
    xs = sorted(latencies)
    p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
    return {"n": len(xs), "p50_ms": p(0.5) * 1e3, "p99_ms": p(0.99) * 1e3, "max_ms": xs[-1] * 1e3,
            "over_50ms": sum(1 for x in xs if x > 0.05)}


def import_body_budget():
    return MAX_IMPORT_BYTES - multipart_overhead() - 2


def measure_healthz(server, token, cookie, variant, count, filters, baseline_seconds=3, after_seconds=180):
    """variant "short": `count` ICPs (1,000) of `filters` (50) patterns each, the costliest that
    fits the 4 MiB file; "long": 50 of the costliest accepted patterns of up to 1,000 characters
    per ICP, as many ICPs as fit (the most validation work one import can ask for)."""
    budget = import_body_budget()
    if variant == "short":
        empty = len(json.dumps(regex_icp(count - 1, "", filters), separators=(",", ":"))) + 1
        max_chars = (budget // count - empty) // filters
        candidates = short_candidates(max_chars)
    else:
        max_chars = 1000
        candidates = long_candidates(max_chars)
    say(f"{server.name}: timing {len(candidates)} candidate patterns (≤ {max_chars} chars) through /validate")
    chosen, timings, accepted = pick_pattern(server, token, candidates, filters)
    if variant == "long":
        one = len(json.dumps(regex_icp(999, chosen["pattern"], filters), separators=(",", ":"),
                             ensure_ascii=False).encode()) + 1
        count = min(1000, budget // one)
    content = json.dumps([regex_icp(i, chosen["pattern"], filters) for i in range(count)],
                         separators=(",", ":"), ensure_ascii=False).encode()
    assert len(content) <= budget, (len(content), budget)
    with Prober(server.host) as idle:
        time.sleep(baseline_seconds)
    reset_hwm(server.pid)
    before = rss_mb(server.pid)
    load = machine_load()
    with Prober(server.host) as prober:
        time.sleep(0.3)
        t_start = time.monotonic() - prober.begin
        cpu_0 = cpu_seconds(server.pid)
        st, headers, data, seconds, sent = import_file(server, cookie, content, timeout=120)
        cpu_answer = cpu_seconds(server.pid) - cpu_0
        threads_at_answer = memory_kb(server.pid).get("Threads")
        t_end = t_start + seconds
        time.sleep(0.3)
    # Whether the server goes on working on it after answering (a 503 does not stop the blocking
    # pool's validation): its CPU use in the seconds after the answer.
    after_cpu = []
    for _ in range(after_seconds):
        c0 = cpu_seconds(server.pid)
        time.sleep(1)
        after_cpu.append(round(cpu_seconds(server.pid) - c0, 2))
        if after_cpu[-1] < 0.05 and len(after_cpu) >= 3:
            break
    during = [lat for at, lat, _ in prober.results if t_start <= at <= t_end]
    failed = sum(1 for at, _, ok in prober.results if t_start <= at <= t_end and not ok)
    location = headers.get("Location", "")
    message = ""
    if st != 303 or "imported=" not in location:
        text = data.decode("utf-8", "replace")
        message = text.split('role="alert">', 1)[-1].split("</p>", 1)[0][:300] if "alert" in text else text[:300]
    return {
        "variant": variant, "pattern": chosen, "candidates_timed": timings, "candidates_accepted": accepted,
        "max_regex_chars": max_chars, "file_bytes": len(content), "body_bytes": sent, "icps": count,
        "filters_per_icp": filters, "status": st, "location": location, "message": message,
        "seconds": seconds, "healthz_idle": latency_summary([lat for _, lat, _ in idle.results]),
        "healthz_during": latency_summary(during), "healthz_failed": failed,
        "rss_before": before, "peak": hwm_mb(server.pid), "load": load,
        "cpu_until_answer": cpu_answer, "threads_at_answer": threads_at_answer,
        "cpu_per_second_after_answer": after_cpu,
    }


# --- running it all -------------------------------------------------------------------------------


def psql(url, sql):
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True, text=True)


def run_database(db, a, results):
    os.makedirs(OUT, exist_ok=True)
    if db == "sqlite":
        path = os.path.join(OUT, "bounds.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        url = f"sqlite://{path}"
    else:
        psql(a.postgres, "DROP SCHEMA IF EXISTS bounds CASCADE; CREATE SCHEMA bounds;")
        sep = "&" if "?" in a.postgres else "?"
        url = f"{a.postgres}{sep}options=-c%20search_path%3Dbounds"
    out = results.setdefault(db, {})
    port = a.port + (0 if db == "sqlite" else 10)
    server = Server(f"{db}-1", url, port, port + 1, OUT).start()
    out["binary_mtime"] = [server.binary_mtime]
    try:
        say(f"{db}: server pid {server.pid} on {server.host}, RSS {rss_mb(server.pid):.0f} MB after start")
        tokens = {who: server.user(f"{who}@bounds.example") for who in ("burst", "importer", "stream")}
        if "burst" in a.only:
            say(f"{db}: 1. the cache burst ({machine_load()})")
            out["burst"] = measure_burst(server, tokens["burst"], a)
            out["burst"]["load"] = machine_load()
        if "methods" in a.only:
            say(f"{db}: 2. made-up methods")
            out["methods"] = measure_methods(server, a.methods)
        if "head" in a.only:
            say(f"{db}: 3. a signed-out import's head")
            out["head"] = measure_head(server)
        if "healthz" in a.only:
            say(f"{db}: 5. /healthz during the worst accepted import ({machine_load()})")
            cookie = sign_in(server, "importer@bounds.example")
            for variant in ("short", "long"):
                out[f"healthz-{variant}"] = measure_healthz(server, tokens["importer"], cookie, variant,
                                                            a.import_icps, 50)
        if "stream" in a.only:
            say(f"{db}: 4. seeding {a.icps:,} ICPs for one user (imports of 1,000)")
            cookie = sign_in(server, "stream@bounds.example")
            out.setdefault("stream", {})["seed_seconds"] = seed(server, cookie, a.icps)
    finally:
        server.stop()
    if "stream" in a.only:
        # A fresh process, so memory freed by the seeding cannot hide what the stream takes.
        server = Server(f"{db}-2", url, port, port + 1, OUT).start()
        out["binary_mtime"].append(server.binary_mtime)
        try:
            say(f"{db}: 4. streaming every ICP ({machine_load()})")
            out["stream"].update(measure_stream(server, tokens["stream"], a.icps))
            out["stream"]["load"] = machine_load()
            # Again on the same process: what the first one kept (pools, buffers) is now there.
            out["stream-again"] = measure_stream(server, tokens["stream"], a.icps)
        finally:
            server.stop()


def verdict(ok):
    return "ok" if ok else "MISSED"


def table(results, a):
    rows = []
    for db, r in results.items():
        if len(set(r.get("binary_mtime", []))) > 1:
            rows.append((db, "NOTE: the binary was rebuilt during the run", " → ".join(r["binary_mtime"]), "", ""))
        if "burst" in r:
            b = r["burst"]
            rows.append((db, "burst: RSS before / after / peak", f"{b['rss_before']:.0f} / {b['rss_after']:.0f} / {b['peak']:.0f} MB",
                         "after ≤ 512 MB", verdict(b["rss_after"] <= 512 and b["peak"] <= 512)))
            rows.append((db, f"burst: RSS after {b['idle_seconds']} s idle", f"{b['rss_idle']:.0f} MB", "< 256 MB",
                         verdict(b["rss_idle"] < 256)))
            rows.append((db, "burst: RSS after 200 small requests more", f"{b['rss_after_small_requests']:.0f} MB", "", ""))
            for q in b.get("parallel", []):
                rows.append((db, f"burst: {q['clients']} clients × the 4 pages at once: peak / after / 15 s idle / +200 small",
                             f"{q['peak']:.0f} / {q['rss_after']:.0f} / {q['rss_idle_15s']:.0f} / {q['rss_after_small']:.0f} MB",
                             "≤ 512 MB; idle < 256 MB", verdict(q["peak"] <= 512 and q["rss_idle_15s"] < 256)))
            rows.append((db, "burst: creates / pages", f"{b['creates']} / " + ", ".join(
                f"{p['limit']}:{p['status']} {p['bytes'] / 1e6:.1f} MB {p['seconds']:.2f} s" for p in b["pages"]), "", ""))
        if "methods" in r:
            m = r["methods"]
            rows.append((db, f"methods: /metrics lines before / after 1 / after {m['requests']}",
                         f"{m['lines_before']} / {m['lines_after_first']} / {m['lines_after']} (answers {m['statuses']})",
                         "no growth per method", verdict(m["lines_after"] == m["lines_after_first"])))
        if "head" in r:
            hd = r["head"]
            rows.append((db, "head: signed-out import, head only", f"{hd['status']} after {hd['seconds'] * 1e3:.1f} ms",
                         "413 at once", verdict(" 413 " in hd["status"] + " " and hd["seconds"] < 1)))
        for key, label in (("stream", "stream (fresh server)"), ("stream-again", "stream again")):
            s = r.get(key)
            if not s or "items" not in s:
                continue
            if key == "stream" and "seed_seconds" in s:
                rows.append((db, f"stream: seeded {s['expected']:,} ICPs (imports of 1,000)", f"{s['seed_seconds']:.0f} s", "", ""))
            rows.append((db, f"{label}: {s['expected']:,} ICPs, RSS growth (before {s['rss_before']:.0f} MB)",
                         f"{s['growth']:.1f} MB (peak {s['peak']:.0f}, after {s['rss_after']:.0f}; "
                         f"anon +{s['anon_peak'] - s['anon_before']:.1f}, file +{s['file_peak'] - s['file_before']:.1f})",
                         "< 16 MB", verdict(s["growth"] < 16)))
            rows.append((db, f"{label}: status, bytes, time, items",
                         f"{s['status']}, {s['bytes']:,} B, {s['seconds']:.1f} s (first byte {s['first_byte'] or 0:.3f} s), {s['items']:,} items",
                         "all items", verdict(s["status"] == 200 and s["items"] == s["expected"] and s["ids_unique"])))
        for variant in ("short", "long"):
            h = r.get(f"healthz-{variant}")
            if not h:
                continue
            d = h["healthz_during"]
            pat = h["pattern"]
            rows.append((db, f"healthz/{variant}: import {h['icps']:,} ICPs × {h['filters_per_icp']} regexes "
                             f"({h['file_bytes'] / 1048576:.2f} MiB; {pat['chars']} chars, ~{pat['compile_us']:.0f} µs each)",
                         f"{h['status']} in {h['seconds']:.2f} s" + (f" ({h['message']})" if h["message"] else ""),
                         "303, < 30 s", verdict(h["status"] == 303 and "imported=" in h["location"])))
            busy = [c for c in h.get("cpu_per_second_after_answer", []) if c >= 0.05]
            rows.append((db, f"healthz/{variant}: server CPU until the answer / after it",
                         f"{h['cpu_until_answer']:.1f} s / {sum(busy):.1f} s in the {len(busy)} s after", "", ""))
            if d.get("n"):
                rows.append((db, f"healthz/{variant}: /healthz during it, p50 / p99 / max",
                             f"{d['p50_ms']:.1f} / {d['p99_ms']:.1f} / {d['max_ms']:.1f} ms (n={d['n']}, {d['over_50ms']} > 50 ms, {h['healthz_failed']} failed)",
                             "≤ 50 ms", verdict(d["max_ms"] <= 50 and h["healthz_failed"] == 0)))
            i = h["healthz_idle"]
            if i.get("n"):
                rows.append((db, f"healthz/{variant}: /healthz before it (idle), p50 / p99 / max",
                             f"{i['p50_ms']:.1f} / {i['p99_ms']:.1f} / {i['max_ms']:.1f} ms (n={i['n']})", "", ""))
    widths = [max(len(str(row[k])) for row in rows + [("db", "measurement", "figure", "goal", "")]) for k in range(5)]
    lines = []
    for row in [("db", "measurement", "figure", "goal", "")] + rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--only", default="burst,methods,head,healthz,stream",
                   help="comma-separated: burst, methods, head, healthz, stream (default: all)")
    p.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test",
                   help="Postgres URL (the schema `bounds` is dropped and made afresh)")
    p.add_argument("--port", type=int, default=3961, help="app port for SQLite (+1 metrics; Postgres +10)")
    p.add_argument("--idle", type=int, default=60, help="seconds idle after the burst (default 60)")
    p.add_argument("--burst-icps", type=int, default=60)
    p.add_argument("--burst-kb", type=int, default=220, help="KB of filter text per burst ICP (default 220)")
    p.add_argument("--burst-clients", default="4,8",
                   help="after the burst, this many clients GET the four pages at once (comma-separated; default 4,8)")
    p.add_argument("--methods", type=int, default=1000, help="made-up-method requests (default 1000)")
    p.add_argument("--icps", type=int, default=100_000, help="ICPs streamed (default 100000)")
    p.add_argument("--import-icps", type=int, default=1000, help="ICPs in the regex import (default 1000)")
    p.add_argument("--cache-mib", type=int, help="the server's CACHE_MIB (default: the server's own, 64)")
    p.add_argument("--quick", action="store_true", help="small sizes and 5 s idle: proves the script runs")
    a = p.parse_args()
    global CACHE_MIB
    CACHE_MIB = a.cache_mib
    a.only = set(a.only.split(","))
    a.burst_clients = [int(n) for n in a.burst_clients.split(",") if n.strip()]
    if a.quick:
        a.idle, a.icps, a.methods, a.burst_icps = 5, 2000, 50, 10
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} is missing: env -u RUSTFLAGS cargo leptos build --release")
    binary_time = datetime.datetime.fromtimestamp(os.path.getmtime(BIN), datetime.timezone.utc)
    commit = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cI"], capture_output=True, text=True).stdout.strip()
    results = {"_run": {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit, "binary_mtime": binary_time.isoformat(timespec="seconds"),
        "cores": os.cpu_count(), "load_at_start": machine_load(), "cache_mib": a.cache_mib,
    }}
    say(f"binary {BIN} built {binary_time:%Y-%m-%d %H:%M:%S} UTC; HEAD {commit}; {os.cpu_count()} cores; {machine_load()}")
    dbs = ["sqlite", "postgres"] if a.db == "both" else [a.db]
    try:
        for db in dbs:
            run_database(db, a, results)
    finally:
        results["_run"]["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        results["_run"]["load_at_end"] = machine_load()
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, f"results-{time.strftime('%Y%m%d-%H%M%S')}.json")
        with open(path, "w") as f:
            json.dump(results, f, indent=2, default=str)
        say(f"results: {path}")
    print(table({k: v for k, v in results.items() if not k.startswith("_")}, a))


if __name__ == "__main__":
    main()
