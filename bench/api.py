"""Benchmark Open311 over HTTP: gunicorn on a loopback port, PostgreSQL behind it.

    .venv/bin/python bench/api.py [--seed 1200] [--gets 30] [--posts 2000] [--clients 16]
                                  [--workers 2] [--worker-class sync] [--threads 4] [--load-client auto]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/wm_bench_api (created when missing, migrated, and its
case tables emptied at the start of each run). Seeds ≥ 1,000 requests inside the last 90 days, then times
GET /open311/v2/requests.json answering 1,000 requests (goal: median < 150 ms) and POST /open311/v2/requests.json
from concurrent clients (goal: ≥ 300 requests/s). Only 127.0.0.1 is contacted.

The server is gunicorn as `wenming serve` runs it; the default (one sync worker per core) measured best here (see
SERVER_DEFAULTS). The load comes from `wrk` when installed (a C event loop: little CPU taken from the server on
the same cores), else from Python threads; each client keeps its connection open where the server allows (sync
workers close it after each answer, and wrk reconnects cheaply). Either way every request is a real POST creating a
case, every status is checked, and the cases written are counted in the database afterwards. The output names the
client used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/wm_bench_api"
# gunicorn: one sync worker per core measured best on this 2-core machine (see bench/intake.py's docstring); the
# request is CPU-bound Python, so more processes or gthread threads only add switching (and gthread a long tail).
SERVER_DEFAULTS = {"workers": max(2, os.cpu_count() or 2), "worker_class": "sync", "threads": 4}


def bench_env(database_url: str, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="wenming.settings.prod",
        WENMING_DATA_DIR=data_dir,
        WENMING_SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",
        WENMING_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


def ensure_database(database_url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("只允许本机数据库 / loopback databases only")
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def migrate(env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], env=env, check=True,
                   cwd=ROOT)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "WENMING_DATA_DIR",
                                           "WENMING_SECRET_KEY", "WENMING_ALLOWED_HOSTS")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def reset_cases() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE api_open311intake, api_webhookdelivery, cases_caseattachment, cases_caseevent, cases_case "
            "RESTART IDENTITY CASCADE"
        )


def seed_categories():
    from wenming.cases.models import Category
    from wenming.cases.taxonomy import load_categories

    load_categories()
    return list(Category.objects.public().order_by("code")[:5])


def seed_cases(n: int, categories) -> None:
    """n cases spread over the last 80 days, with their report events (bulk: seeding is not what is measured)."""
    import datetime as dt
    import random

    from wenming.cases.models import Case, CaseEvent, Channel
    from wenming.cases.workflow import Actor, Status
    from wenming.core import clock

    rng = random.Random(311)
    now = clock.now()
    cases = []
    for i in range(n):
        at = now - dt.timedelta(minutes=rng.randint(5, 80 * 24 * 60))
        cases.append(Case(
            tracking_code=f"WMBENCH{i:09d}", description=f"基准测试问题 {i}：人行道上有流动摊贩占道经营",
            category=rng.choice(categories), lat=27.80 + rng.random() / 10, lng=113.10 + rng.random() / 10,
            address=f"芦淞区建设路 {i} 号", channel=Channel.OPEN311, created_at=at, updated_at=at,
            status=rng.choice([Status.REPORTED, Status.ACCEPTED, Status.CLOSED]),
        ))
    Case.objects.bulk_create(cases, batch_size=1000)
    events = [CaseEvent(case=c, action="report", to_status=Status.REPORTED, actor_role=Actor.REPORTER, at=c.created_at,
                        public=True, note="已收到" if i % 3 == 0 else "") for i, c in enumerate(cases)]
    CaseEvent.objects.bulk_create(events, batch_size=1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=SERVER_DEFAULTS["workers"])
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default=SERVER_DEFAULTS["worker_class"])
    parser.add_argument("--threads", type=int, default=SERVER_DEFAULTS["threads"],
                        help="threads per gthread worker (ignored by sync workers)")
    parser.add_argument("--load-client", choices=("auto", "wrk", "python"), default="auto",
                        help="auto: wrk when installed, else Python threads with keep-alive connections")


def loadavg(values=None) -> str:
    return " ".join(f"{x:.2f}" for x in (values or os.getloadavg()))


def server_label(args) -> str:
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    return f"gunicorn {args.workers} {args.worker_class} workers{threads}"


class Server:
    """gunicorn with wenming.wsgi on a free loopback port (what `wenming serve` runs)."""

    def __init__(self, env: dict[str, str], workers: int, worker_class: str = "sync", threads: int = 1):
        self.port = free_port()
        extra = ["--worker-class", worker_class]
        if worker_class == "gthread":
            extra += ["--threads", str(threads)]
        self.proc = subprocess.Popen(
            [str(GUNICORN), "wenming.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers",
             str(workers), *extra, "--log-level", "warning", "--timeout", "60"],
            env=env, cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = request("GET", self.port, "/open311/v2/services.json")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(method: str, port: int, path: str, body: bytes | None = None, headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


_local = threading.local()


def keepalive_request(method: str, port: int, path: str, body: bytes | None = None, headers=None) -> tuple[int, bytes]:
    """`request` over this thread's own persistent connection (HTTP/1.1 keep-alive), reopened when the server
    closed it. A request that fails on a reused connection is sent once more: the benches' POSTs carry an
    Idempotency-Key or are counted in the database, so a resend never hides or doubles a report."""
    for attempt in range(2):
        conn = getattr(_local, "conn", None)
        if conn is None or getattr(_local, "port", None) != port:
            conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _local.port = port
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            _local.conn = None
            if attempt:
                raise
    raise AssertionError("unreachable")


WRK = shutil.which("wrk")

# The Lua side of a wrk run: `make_request(i)` (from the bench) builds request i; every answer's status is counted
# and done() prints one line that run_wrk parses.
WRK_LUA = r"""
local next_tid = 0
local threads = {}

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  sent, ok, bad = 0, 0, 0
end

function request()
  local i = tid * 100000000 + sent
  sent = sent + 1
  return make_request(i)
end

function response(status, headers, body)
  if status == EXPECTED_STATUS then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local tok, tbad = 0, 0
  for _, t in ipairs(threads) do
    tok = tok + t:get("ok")
    tbad = tbad + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT ok=%d bad=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d connect=%d read=%d write=%d timeout=%d\n",
    tok, tbad, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout))
end
"""


def lua_string(text: str) -> str:
    """A Lua long-bracket literal holding `text` verbatim (UTF-8 bytes included)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def run_wrk(port: int, make_request_lua: str, expected_status: int, total: int, clients: int, written) -> dict:
    """About `total` requests from `clients` keep-alive connections driven by wrk; returns counts, rate, latencies.

    wrk runs for a duration, not a count: `written()` (rows the requests created so far, read from the database
    every 20 ms) tells when `total` is reached, and SIGINT then ends wrk, which reports what was answered by then.
    """
    threads = max(1, min(2, clients))
    connections = clients - clients % threads
    script = f"EXPECTED_STATUS = {expected_status}\n{make_request_lua}\n{WRK_LUA}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(script)
    try:
        proc = subprocess.Popen(
            [WRK, "-t", str(threads), "-c", str(connections), "-d", "300s", "--timeout", "30s", "-s", f.name,
             f"http://127.0.0.1:{port}/"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        while proc.poll() is None and written() < total:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        os.unlink(f.name)
    found = re.search(r"WRKRESULT (.*)", out)
    if not found:
        raise SystemExit(f"wrk gave no result:\n{out}\n{err}")
    r = {k: int(v) for k, v in (kv.split("=") for kv in found.group(1).split())}
    seconds = r["duration_us"] / 1e6
    return {"ok": r["ok"], "bad": r["bad"], "elapsed": seconds, "rate": r["ok"] / seconds,
            "p50": r["p50_us"] / 1e6, "p95": r["p95_us"] / 1e6, "p99": r["p99_us"] / 1e6,
            "socket_errors": r["connect"] + r["read"] + r["write"] + r["timeout"], "connections": connections,
            "threads": threads}


def use_wrk(choice: str) -> bool:
    if choice == "wrk" and not WRK:
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --load-client python")
    return choice == "wrk" or (choice == "auto" and WRK is not None)


def run_id() -> str:
    return uuid.uuid4().hex[:12]


def run_concurrently(total: int, clients: int, make_request) -> tuple[float, list[float], list[int]]:
    """`total` calls of make_request(i) from `clients` threads; returns (elapsed s, latencies s, statuses)."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            status = make_request(i)
            dt_ = time.perf_counter() - t0
            with lock:
                latencies.append(dt_)
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, statuses


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1200)
    parser.add_argument("--gets", type=int, default=30)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    add_server_arguments(parser)
    args = parser.parse_args()
    args.seed = max(1000, min(args.seed, 100_000))
    args.gets, args.posts = min(args.gets, 1000), min(args.posts, 50_000)
    load_before = os.getloadavg()

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    ensure_database(database_url)
    data_dir = tempfile.mkdtemp(prefix="wm-bench-api-")
    env = bench_env(database_url, data_dir)
    migrate(env)
    setup_django(env)
    reset_cases()
    categories = seed_categories()
    from wenming.api.models import Open311Key

    _key, api_key = Open311Key.issue("bench")
    seed_cases(args.seed, categories)
    print(f"seeded {args.seed} requests; cpus={os.cpu_count()} {server_label(args)}")

    server = Server(env, args.workers, args.worker_class, args.threads)
    try:
        # GET 1,000 requests (the default cap) -------------------------------------------------------------
        path = "/open311/v2/requests.json"
        status, body = request("GET", server.port, path)
        count = len(json.loads(body))
        assert status == 200 and count == 1000, (status, count)
        for _ in range(args.workers * 3):  # warm every worker (imports, connections) before timing
            request("GET", server.port, path)
        times = []
        for _ in range(args.gets):
            t0 = time.perf_counter()
            status, body = request("GET", server.port, path)
            times.append(time.perf_counter() - t0)
            assert status == 200
        med = statistics.median(times) * 1000
        print(f"GET {path}: {count} requests, {len(body) / 1024:.0f} KiB; median {med:.1f} ms, "
              f"p95 {pct(times, 95) * 1000:.1f} ms over {args.gets} calls (goal < 150 ms: "
              f"{'met' if med < 150 else 'NOT met'})")
        xml_times = []
        for _ in range(min(args.gets, 10)):
            t0 = time.perf_counter()
            request("GET", server.port, "/open311/v2/requests.xml")
            xml_times.append(time.perf_counter() - t0)
        print(f"GET /open311/v2/requests.xml: median {statistics.median(xml_times) * 1000:.1f} ms")

        # POST throughput ------------------------------------------------------------------------------------
        from wenming.cases.models import Case

        codes = [c.code for c in categories]
        fixed = urllib.parse.urlencode({"api_key": api_key, "first_name": "明", "last_name": "王",
                                        "attribute[impact][]": "traffic"})
        quote = urllib.parse.quote
        form_headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

        def form(i: int) -> bytes:
            return (f"{fixed}&service_code={codes[i % len(codes)]}&lat={27.8 + (i % 97) / 1000:.5f}"
                    f"&long={113.1 + (i % 89) / 1000:.5f}&description={quote(f'基准测试 POST {i}：占道经营，影响通行')}"
                    ).encode()

        def post(i: int) -> int:
            status, _ = keepalive_request("POST", server.port, "/open311/v2/requests.json", form(i), form_headers)
            return status

        for i in range(20):  # warm every worker
            post(10_000_000 + i)
        before = Case.objects.count()
        if use_wrk(args.load_client):
            lua = f"""
local codes = {{{", ".join(lua_string(c) for c in codes)}}}
local fixed = {lua_string(fixed)}
local desc_head, desc_tail = {lua_string(quote("基准测试 POST "))}, {lua_string(quote("：占道经营，影响通行"))}
local headers = {{["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"}}
function make_request(i)
  local body = string.format("%s&service_code=%s&lat=%.5f&long=%.5f&description=%s%d%s", fixed,
    codes[i % #codes + 1], 27.8 + (i % 97) / 1000, 113.1 + (i % 89) / 1000, desc_head, i, desc_tail)
  return wrk.format("POST", "/open311/v2/requests.json", headers, body)
end
"""
            r = run_wrk(server.port, lua, 200, args.posts, args.clients, lambda: Case.objects.count() - before)
            client = f"wrk ({r['threads']} threads, {r['connections']} connections, kept alive where the server allows)"
            ok, sent, elapsed, p50, p95 = r["ok"], r["ok"] + r["bad"], r["elapsed"], r["p50"], r["p95"]
            errors = r["socket_errors"]
        else:
            elapsed, lat, statuses = run_concurrently(args.posts, args.clients, post)
            client = f"Python threads ({args.clients} connections, kept alive where the server allows)"
            ok, sent, p50, p95, errors = sum(1 for s in statuses if s == 200), len(statuses), pct(lat, 50), pct(lat, 95), 0
        written = Case.objects.count() - before
        rate = ok / elapsed
        print(f"load client: {client}; load average before {loadavg(load_before)}, after {loadavg()}")
        print(f"POST /open311/v2/requests.json: {ok}/{sent} ok (200) with {args.clients} clients in {elapsed:.2f} s "
              f"= {rate:.0f} requests/s; p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
              f"(goal ≥ 300/s: {'met' if rate >= 300 else 'NOT met'})")
        print(f"cases written meanwhile: {written} (answered ok: {ok}; a run ends with up to {args.clients} requests "
              f"in flight, not counted){'; socket errors: ' + str(errors) if errors else ''}")
        if ok != sent or not ok <= written <= ok + args.clients:
            raise SystemExit("POST check failed: non-200 answers or cases written do not match the answers")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
