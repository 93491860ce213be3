#!/usr/bin/env python3
"""The soak benchmark's load generator (run by scripts/soak.sh; Python 3.11 standard library only).

Closed loop: each worker is one user (its own API token, password and browser session) on one
keep-alive connection, sending its next request as soon as the last is answered, for --minutes.
Workers are processes, not threads, so one worker's JSON work never holds another's answer up (one
interpreter lock would); each sends its records to this process every half second. Each request
is drawn from a weighted mix (MIX) of what users and integrations do: API creates, PATCHes, gets,
lists (`?limit=50`, `?q=…`, `?active=true`, and the whole list without parameters, which streams
every ICP of the user), an ICP's history (`…/{id}/versions`), the browser's export (one ICP, all
of them) and import (the multipart form post, with the session cookie and a same-origin `Origin`),
and sign-ins (the form post, correct password only).

A worker keeps its user's ICPs at --cap: past it, it deletes its oldest (API `DELETE`), so the
whole list's size, and its cost, stay the same after warm-up while the database keeps growing
(deleted ICPs and every version stay stored). The whole list is also checked against what the
worker knows it created, imported and deleted: any difference is reported.

Every --interval seconds it prints one row: requests, req/s, p50 / p99 / max latency of every
request answered in that interval (whatever its status, each timed from its send to the last byte
of its answer), requests answered with an unexpected status, the server's resident memory at the
interval's end (VmRSS of --pid from /proc), the server's CPU use over the interval (100% = one
core), the machine's 1-minute load average (other work shows there), and how many ICPs the users
hold. At the end: each operation's figures over the whole run, every unexpected answer by
operation, route and status, and one line: RSS last ÷ first. Exits 1 on any unexpected answer,
difference or dead server.
"""

import argparse
import collections
import http.client
import json
import math
import multiprocessing
import os
import random
import sys
import time
import urllib.parse
import uuid
from queue import Empty

API = "/api/v1/entities/icps"

# (operation, weight): the mix, drawn per request. Sign-ins hash a password (argon2id, 19 MiB,
# tens of milliseconds of a core each), so they are rare; the whole list and export-all read
# every ICP of the user, import writes up to 10 at once.
MIX = [
    ("create", 18),
    ("patch", 14),
    ("get", 10),
    ("list_limit", 14),
    ("list_q", 8),
    ("list_active", 8),
    ("list_all", 1.5),
    ("versions", 10),
    ("export_one", 3),
    ("export_all", 0.5),
    ("import", 0.5),
    ("sign_in", 0.3),
]

# The route template each operation requests (as the server's log names them).
ROUTES = {
    "create": f"POST {API}",
    "patch": f"PATCH {API}/{{id}}",
    "get": f"GET {API}/{{id}}",
    "list_limit": f"GET {API}?limit=50",
    "list_q": f"GET {API}?q=…",
    "list_active": f"GET {API}?active=true",
    "list_all": f"GET {API}",
    "versions": f"GET {API}/{{id}}/versions",
    "export_one": "GET /icps/{id}/export",
    "export_all": "GET /icps/export",
    "import": "POST /forms/icps/import",
    "import_ids": f"GET {API}?limit=k (after an import)",
    "sign_in": "POST /sign-in",
    "delete": f"DELETE {API}/{{id}}",
    "connect": "(connection)",
}

WORDS = ["DACH", "SaaS", "München", "Fintech", "Nordics", "Retail", "Logistics", "Healthcare"]
SEARCHES = ["dach", "munchen", "saas buyers", "fintech nordics", "logistics", "nothing-matches-this"]
ACTIVE_UNTIL = [None, None, "2099-12-31T00:00:00.000Z", "2024-06-30T00:00:00.000Z"]


def body_for(rng):
    """A valid create body, varied (names carry search words; some active, some expired)."""
    words = rng.sample(WORDS, 2)
    kind = rng.randrange(3)
    body = {
        "name": f"{words[0]} {words[1]} soak {rng.randrange(1_000_000)}",
        "description": f"Soak traffic: {words[1]} buyers, {rng.choice(WORDS)} accounts",
        "leadProviderCriteria": [],
        "customFilterCriteria": [{"type": "maxPeoplePerCompany", "value": rng.randint(1, 9)}],
        "crmFilters": None,
        "userIds": [],
        "leadsPerList": rng.randint(1, 1000),
        "activeUntil": rng.choice(ACTIVE_UNTIL),
    }
    if kind == 0:
        body["leadProviderCriteria"] = [{
            "provider": "baseProvider", "type": "person",
            "filters": {"job_title": ["CTO", "VP Engineering", "Head of Technology"],
                        "location": {"country": ["Germany", "Austria", "Switzerland"]},
                        "company": {"employee_size": {"min": 100, "max": 5000}}},
        }]
    elif kind == 1:
        body["customFilterCriteria"] += [
            {"type": "ai", "entityType": "company",
             "prompt": "Determine if this company is likely to purchase B2B SaaS solutions based "
                       "on their industry, size, and technology stack"},
            {"type": "website", "provider": "browserUse",
             "prompt": "Check if the company website mentions digital transformation"},
        ]
    else:
        body["crmFilters"] = {
            "provider": "bullhorn", "textSearch": "Director OR Manager",
            "filters": [{"path": "address.countryName", "mode": "in",
                         "value": ["Germany", "Austria"], "exclude": False},
                        {"path": "status", "mode": "equals", "value": "Active", "exclude": False}],
        }
    return body


def patch_for(rng):
    choice = rng.randrange(4)
    if choice == 0:
        return {"leadsPerList": rng.randint(1, 1000)}
    if choice == 1:
        return {"description": f"Edited by the soak, {rng.choice(WORDS)} {rng.randrange(10**6)}"}
    if choice == 2:
        return {"activeUntil": rng.choice(ACTIVE_UNTIL)}
    return {"name": f"{rng.choice(WORDS)} {rng.choice(WORDS)} renamed {rng.randrange(10**6)}"}


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(p * len(sorted_values)) - 1)]


def rss_kib(pid):
    """The process's VmRSS in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """The process's user + system CPU time so far, in seconds (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average():
    with open("/proc/loadavg") as loadavg:
        return float(loadavg.read().split()[0])


class Recorder:
    """A worker process's records, sent to the main process in batches through `queue`: each
    request's (completion instant, operation, seconds, status or None when expected, sample)."""

    FLUSH_SECONDS = 0.5

    def __init__(self, queue, index):
        self.queue = queue
        self.index = index
        self.records = []
        self.anomalies = []
        self.flushed = time.monotonic()

    def record(self, op, seconds, ok, status=None, sample=None):
        now = time.monotonic()
        self.records.append((now, op, seconds, None if ok else (status, sample)))

    def anomaly(self, what, sample):
        self.anomalies.append((what, sample))

    def flush(self, worker, force=False):
        now = time.monotonic()
        if force or now - self.flushed >= self.FLUSH_SECONDS:
            self.queue.put((self.index, self.records, self.anomalies,
                            len(worker.ids), worker.list_size))
            self.records, self.anomalies, self.flushed = [], [], now


class Worker:
    def __init__(self, user, args, stats, stop_at, stopped, seed):
        self.user = user
        self.args = args
        self.stats = stats
        self.stop_at = stop_at
        self.stopped = stopped  # set by the main process when the server is gone
        self.rng = random.Random(seed)
        self.host, self.port = args.host, args.port
        self.origin = f"http://{args.host}:{args.port}"
        self.conn = None
        self.ids = collections.deque()  # this user's live ICPs, oldest first
        self.cookie = None  # the session cookie (icp_session=…)
        self.exported = []  # bodies of the last export-all, for imports
        self.list_size = 0
        self.bearer = {"Authorization": f"Bearer {user['token']}"}

    # -- one request --------------------------------------------------------------------------

    def send(self, op, method, path, body=None, headers=None, expect=(200,), check=None):
        """Sends one request and reads the whole answer; records its latency and whether its
        status (and `check`, given the status, headers and body) was what `op` expects. Returns
        (status, headers, body), or None when the connection failed."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            elapsed = time.perf_counter() - started
            self.conn.close()
            self.conn = None
            self.stats.record(op, elapsed, False, f"connection: {type(error).__name__}",
                              f"{method} {path}: {error}")
            time.sleep(0.1)  # not a hot loop against a server that is gone
            return None
        elapsed = time.perf_counter() - started
        ok = response.status in expect
        problem = None
        if ok and check is not None:
            problem = check(response, data)
            ok = problem is None
        status = response.status if problem is None else f"{response.status} ({problem})"
        self.stats.record(op, elapsed, ok, status,
                          f"{method} {path} → {response.status}: {data[:300]!r}")
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, response, data

    def json_headers(self):
        return {**self.bearer, "Content-Type": "application/json"}

    def browser_headers(self):
        return {"Cookie": self.cookie or "", "Origin": self.origin}

    # -- operations ---------------------------------------------------------------------------

    def create(self):
        headers = self.json_headers()
        if self.rng.random() < 0.25:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        answer = self.send("create", "POST", API, json.dumps(body_for(self.rng)), headers, (201,))
        if answer and answer[0] == 201:
            self.ids.append(json.loads(answer[2])["id"])
        self.trim()

    def trim(self):
        while len(self.ids) > self.args.cap and self.running():
            victim = self.ids.popleft()
            self.send("delete", "DELETE", f"{API}/{victim}", None, self.bearer, (204,))

    def some_id(self):
        return self.rng.choice(self.ids) if self.ids else None

    def patch(self):
        icp = self.some_id()
        if icp:
            self.send("patch", "PATCH", f"{API}/{icp}", json.dumps(patch_for(self.rng)),
                      self.json_headers())

    def get(self):
        icp = self.some_id()
        if icp:
            self.send("get", "GET", f"{API}/{icp}", None, self.bearer)

    def versions(self):
        icp = self.some_id()
        if icp:
            self.send("versions", "GET", f"{API}/{icp}/versions", None, self.bearer)

    def list_limit(self):
        self.send("list_limit", "GET", f"{API}?limit=50", None, self.bearer, check=is_array)

    def list_q(self):
        q = self.rng.choice(SEARCHES).replace(" ", "+")
        self.send("list_q", "GET", f"{API}?q={q}", None, self.bearer, check=is_array)

    def list_active(self):
        self.send("list_active", "GET", f"{API}?active=true", None, self.bearer, check=is_array)

    def list_all(self, learn=False):
        answer = self.send("list_all", "GET", API, None, self.bearer, check=is_array)
        if not answer or answer[0] != 200:
            return
        listed = [icp["id"] for icp in json.loads(answer[2])]
        self.list_size = len(listed)
        if learn:
            self.ids = collections.deque(reversed(listed))
            return
        known = set(self.ids)
        if set(listed) != known or len(listed) != len(known):
            missing = len(known - set(listed))
            extra = len(set(listed) - known)
            self.stats.anomaly("whole list differs from the ICPs created, imported and not deleted",
                               f"{self.user['email']}: {missing} missing, {extra} extra, "
                               f"{len(listed)} listed")
            # Go on from what the server says, so one difference is reported once.
            self.ids = collections.deque(reversed(listed))

    def export_one(self):
        icp = self.some_id()
        if icp:
            self.send("export_one", "GET", f"/icps/{icp}/export", None, self.browser_headers(),
                      check=lambda r, d: None if d.startswith(b"{") else "not a JSON object")

    def export_all(self):
        answer = self.send("export_all", "GET", "/icps/export", None, self.browser_headers(),
                           check=is_array)
        if answer and answer[0] == 200:
            self.exported = json.loads(answer[2])

    def import_(self):
        if self.exported:
            count = min(len(self.exported), self.rng.randint(1, 10))
            bodies = [dict(body) for body in self.rng.sample(self.exported, count)]
        else:
            bodies = [body_for(self.rng) for _ in range(self.rng.randint(1, 10))]
        for body in bodies:
            body["name"] = f"Imported {body['name']}"[:200]
        boundary = f"soak{uuid.uuid4().hex}"
        payload = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"icps.json\"\r\nContent-Type: application/json\r\n\r\n"
        ).encode() + json.dumps(bodies).encode() + f"\r\n--{boundary}--\r\n".encode()
        headers = {**self.browser_headers(),
                   "Content-Type": f"multipart/form-data; boundary={boundary}"}
        wanted = f"/icps?imported={len(bodies)}"
        answer = self.send("import", "POST", "/forms/icps/import", payload, headers, (303,),
                           check=lambda r, d: None if r.getheader("Location") == wanted
                           else f"Location {r.getheader('Location')}")
        if not answer or answer[0] != 303:
            return
        # The imported ICPs are the user's newest (one worker per user): learn their ids.
        answer = self.send("import_ids", "GET", f"{API}?limit={len(bodies)}", None, self.bearer,
                           check=is_array)
        if answer and answer[0] == 200:
            self.ids.extend(reversed([icp["id"] for icp in json.loads(answer[2])]))
        self.trim()

    def sign_in(self):
        form = urllib.parse.urlencode({"email": self.user["email"],
                                       "password": self.user["password"]})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}

        def signed_in(response, _data):
            if response.getheader("Location") != "/icps":
                return f"Location {response.getheader('Location')}"
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("icp_session="):
                    self.cookie = value.split(";", 1)[0]
                    return None
            return "no session cookie"

        self.send("sign_in", "POST", "/sign-in", form, headers, (303,), check=signed_in)

    # -- the loop -----------------------------------------------------------------------------

    def running(self):
        return time.monotonic() < self.stop_at and not self.stopped.is_set()

    def run(self):
        operations = {
            "create": self.create, "patch": self.patch, "get": self.get,
            "list_limit": self.list_limit, "list_q": self.list_q,
            "list_active": self.list_active, "list_all": self.list_all,
            "versions": self.versions, "export_one": self.export_one,
            "export_all": self.export_all, "import": self.import_, "sign_in": self.sign_in,
        }
        names = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        self.sign_in()
        self.list_all(learn=True)  # the user's ICPs already there (none on a fresh database)
        while self.running():
            name = self.rng.choices(names, weights)[0]
            if name in ("export_one", "export_all", "import") and not self.cookie:
                name = "sign_in"
            operations[name]()
            self.stats.flush(self)
        if self.conn:
            self.conn.close()
        self.stats.flush(self, force=True)


def work(index, user, args, queue, stop_at, stopped, seed):
    """A worker process's life: the loop, then a last flush of its records."""
    Worker(user, args, Recorder(queue, index), stop_at, stopped, seed).run()
    queue.put((index, None, None, None, None))  # done


def is_array(_response, data):
    return None if data.startswith(b"[") else "not a JSON array"


class Interval:
    """What the main process gathered about one interval."""

    def __init__(self):
        self.latencies = collections.defaultdict(list)
        self.unexpected = 0
        self.rss = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="http://host:port of the server")
    parser.add_argument("--pid", type=int, required=True, help="the server's pid (for VmRSS)")
    parser.add_argument("--users", required=True,
                        help="JSON file: [{email, password, token}], one user per worker")
    parser.add_argument("--label", default="soak", help="the database's name, for the output")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=30, help="seconds per row")
    parser.add_argument("--cap", type=int, default=400, help="live ICPs per user")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    address = args.base.removeprefix("http://").rstrip("/")
    args.host, _, port = address.rpartition(":")
    args.port = int(port)

    with open(args.users) as file:
        users = json.load(file)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    label = args.label
    intervals = max(1, round(args.minutes * 60 / args.interval))
    print(f"{label}: {len(users)} worker processes (one user each, closed loop, keep-alive), "
          f"{intervals} × {args.interval:g} s, ≤ {args.cap} live ICPs per user, seed {seed}",
          flush=True)
    print(f"{'t (s)':>6} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'unexp.':>6} {'RSS MB':>7} {'CPU %':>6} {'load':>5} {'ICPs':>6}",
          flush=True)

    queue = multiprocessing.Queue()
    stopped = multiprocessing.Event()
    started = time.monotonic()
    stop_at = started + intervals * args.interval
    processes = [
        multiprocessing.Process(target=work, name=f"soak-worker-{i}", daemon=True,
                                args=(i, user, args, queue, stop_at, stopped, seed + i))
        for i, user in enumerate(users)
    ]
    for process in processes:
        process.start()

    buckets = collections.defaultdict(Interval)
    unexpected = collections.Counter()  # (op, status) -> count, over the run
    samples = {}
    anomalies = collections.Counter()
    anomaly_samples = {}
    live = {}  # worker -> (live ICPs, whole list's size at its last read)
    running = set(range(len(processes)))

    def drain(until):
        """Takes the workers' batches until the instant `until` (or until all are done)."""
        while running and (left := until - time.monotonic()) > 0:
            try:
                index, records, found, ids, list_size = queue.get(timeout=min(left, 0.25))
            except Empty:
                continue
            if records is None:
                running.discard(index)
                continue
            live[index] = (ids, list_size)
            for done, op, seconds, problem in records:
                n = int((done - started) // args.interval)
                if n >= intervals:
                    continue  # answered after the end: in no row
                bucket = buckets[n]
                bucket.latencies[op].append(seconds)
                if problem is not None:
                    bucket.unexpected += 1
                    status, sample = problem
                    unexpected[(op, status)] += 1
                    samples.setdefault((op, status), sample)
            for what, sample in found:
                anomalies[what] += 1
                anomaly_samples.setdefault(what, sample)

    rows = []
    died = False
    cpu_before = cpu_seconds(args.pid) or 0.0
    run_latencies = collections.defaultdict(list)
    for n in range(intervals):
        deadline = started + (n + 1) * args.interval
        while not died and time.monotonic() < deadline:
            drain(min(deadline, time.monotonic() + 1.0))
            died = rss_kib(args.pid) is None
        rss, cpu = rss_kib(args.pid), cpu_seconds(args.pid)
        if died or rss is None or cpu is None:
            died = True
            print(f"{label}: the server (pid {args.pid}) is gone", flush=True)
            stopped.set()
            break
        # Batches are sent every half second: wait for this interval's last ones.
        drain(deadline + 2 * Recorder.FLUSH_SECONDS + 0.2)
        bucket = buckets.pop(n)
        every = sorted(latency for values in bucket.latencies.values() for latency in values)
        for op, values in bucket.latencies.items():
            run_latencies[op].extend(values)
        row = {
            "t": round((n + 1) * args.interval), "requests": len(every),
            "rps": len(every) / args.interval,
            "p50": percentile(every, 0.50) * 1000, "p99": percentile(every, 0.99) * 1000,
            "max": (every[-1] * 1000) if every else float("nan"),
            "unexpected": bucket.unexpected, "rss": rss / 1024,
            "cpu": (cpu - cpu_before) / args.interval * 100, "load": load_average(),
            "icps": sum(ids for ids, _ in live.values()),
        }
        rows.append(row)
        cpu_before = cpu
        print(f"{row['t']:>6} {row['requests']:>9} {row['rps']:>7.0f} {row['p50']:>8.2f} "
              f"{row['p99']:>8.2f} {row['max']:>8.1f} {row['unexpected']:>6} "
              f"{row['rss']:>7.1f} {row['cpu']:>6.0f} {row['load']:>5.1f} {row['icps']:>6}",
              flush=True)
    drain(time.monotonic() + 90)  # the requests in flight at the end finish (in no row)
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()

    print(f"\n{label}: each operation over the whole run (the rows above)")
    print(f"{'operation':<12} {'route':<50} {'count':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for op, route in ROUTES.items():
        values = sorted(run_latencies.get(op, []))
        if values:
            print(f"{op:<12} {route:<50} {len(values):>8} "
                  f"{percentile(values, 0.5) * 1000:>8.2f} {percentile(values, 0.99) * 1000:>8.2f} "
                  f"{values[-1] * 1000:>8.1f}")
    sizes = [size for _, size in live.values()]
    if sizes:
        print(f"the whole list (no parameters) held {min(sizes)}–{max(sizes)} ICPs per user "
              f"at its last read")

    unexpected_total = sum(unexpected.values())
    if unexpected:
        print(f"\n{label}: UNEXPECTED answers ({unexpected_total})")
        for (op, status), count in unexpected.most_common():
            print(f"  {count:>7} × {ROUTES.get(op, op)} → {status}")
            print(f"            first: {samples[(op, status)]}")
    for what, count in anomalies.items():
        print(f"{label}: ANOMALY ({count}×): {what}; first: {anomaly_samples[what]}")

    if rows:
        first, last = rows[0], rows[-1]
        ratio = last["rss"] / first["rss"]
        later = [row["p99"] for row in rows[1:]] or [first["p99"]]
        print(f"\n{label}: RSS {first['rss']:.1f} MB at {first['t']} s → {last['rss']:.1f} MB at "
              f"{last['t']} s (peak {max(r['rss'] for r in rows):.1f}): last ÷ first "
              f"{ratio:.2f} (goal ≤ 1.20: {'met' if ratio <= 1.2 else 'MISSED'}); "
              f"p99 {first['p99']:.1f} ms first, {last['p99']:.1f} last, "
              f"{min(later):.1f}–{max(later):.1f} after the first interval; "
              f"{sum(r['requests'] for r in rows):,} requests, {unexpected_total} unexpected, "
              f"{sum(anomalies.values())} anomalies{'; THE SERVER DIED' if died else ''}",
              flush=True)
    sys.exit(0 if rows and not died and unexpected_total == 0 and not anomalies else 1)


if __name__ == "__main__":
    main()
