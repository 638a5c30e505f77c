"""Benchmark Open311 over HTTP: gunicorn on a loopback port, PostgreSQL behind it.

    .venv/bin/python bench/api.py [--seed 1200] [--gets 30] [--posts 2000] [--clients 16] [--workers 4]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/wm_bench_api (created when missing, migrated, and its
case tables emptied at the start of each run). Seeds ≥ 1,000 requests inside the last 90 days, then times
GET /open311/v2/requests.json answering 1,000 requests (goal: median < 150 ms) and POST /open311/v2/requests.json
from concurrent clients (goal: ≥ 300 requests/s). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/wm_bench_api"


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


class Server:
    """gunicorn with wenming.wsgi on a free loopback port (what `wenming serve` runs)."""

    def __init__(self, env: dict[str, str], workers: int):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(GUNICORN), "wenming.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers",
             str(workers), "--log-level", "warning", "--timeout", "60"],
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
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 2) * 2))
    args = parser.parse_args()
    args.seed = max(1000, min(args.seed, 100_000))
    args.gets, args.posts = min(args.gets, 1000), min(args.posts, 50_000)

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
    print(f"seeded {args.seed} requests; cpus={os.cpu_count()} gunicorn workers={args.workers}")

    server = Server(env, args.workers)
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
        codes = [c.code for c in categories]

        def post(i: int) -> int:
            form = urllib.parse.urlencode({
                "api_key": api_key, "service_code": codes[i % len(codes)], "lat": f"{27.8 + (i % 97) / 1000:.5f}",
                "long": f"{113.1 + (i % 89) / 1000:.5f}", "description": f"基准测试 POST {i}：占道经营，影响通行",
                "first_name": "明", "last_name": "王", "attribute[impact][]": "traffic",
            }).encode()
            status, _ = request("POST", server.port, "/open311/v2/requests.json", form,
                                {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            return status

        for i in range(20):  # warm every worker
            post(-1 - i)
        elapsed, lat, statuses = run_concurrently(args.posts, args.clients, post)
        ok = sum(1 for s in statuses if s == 200)
        rate = ok / elapsed
        print(f"POST /open311/v2/requests.json: {ok}/{args.posts} ok with {args.clients} clients in {elapsed:.2f} s "
              f"= {rate:.0f} requests/s; p50 {pct(lat, 50) * 1000:.1f} ms, p95 {pct(lat, 95) * 1000:.1f} ms "
              f"(goal ≥ 300/s: {'met' if rate >= 300 else 'NOT met'})")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
