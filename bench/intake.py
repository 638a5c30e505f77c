"""Benchmark report intake through the JSON API over HTTP on loopback, against PostgreSQL.

    .venv/bin/python bench/intake.py [--reports 2000] [--clients 16]
                                     [--workers 2] [--worker-class sync] [--threads 4] [--load-client auto]

Starts gunicorn (wenming.wsgi) on a free 127.0.0.1 port, sends POST /api/v1/cases from concurrent clients with a
`report`-scoped token (so the anonymous rate limit does not apply) and a fresh Idempotency-Key each, and prints
reports/s and p50/p95 latency (goals: ≥ 300 reports/s, p95 < 100 ms). Then it inserts the same rows with raw
psycopg, one INSERT + COMMIT each from the same number of concurrent connections, and prints the ratio: how
much of the database's own single-row commit rate the whole HTTP + Django + workflow path achieves.
DATABASE_URL defaults to the bench database of bench/api.py.

Load: `wrk` when installed (a C event loop, so the 2 cores go to the server and the database rather than to the
client), else Python threads, each with its own keep-alive connection; the output names which. Every request is a
real POST with a fresh Idempotency-Key, every answer must be 201, and the cases written are counted in the
database afterwards.

Server choice on 2 cores (wrk, --reports 3000, two alternating rounds, load average ~3 from other work, before the
hot-path work of 2026-11-28): 2 sync workers 273 and 242 reports/s (p95 67–108 ms); 3 sync 254/237; 4 sync 245/237;
2 gthread × 4 threads 234/225 with p95 ~127 ms. The request is CPU-bound Python: one sync worker per core.
Since then (token and Open311 key in one fixed query each, categories from the per-process catalogue) a report
costs ~2.2 ms of server CPU instead of ~4.1 ms: 450–468 reports/s, p95 42–45 ms with wrk on a quiet machine.
The character-pair text-search index (cases migration 0005) then took database time per insert: 381–434
reports/s, p95 46–59 ms; dropping seven redundant indexes (migration 0007) gave it back: 433–450, p95 44–48 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as common  # noqa: E402  (bench/api.py: database, gunicorn and timing helpers)


def raw_insert_rate(database_url: str, rows: list[tuple], clients: int) -> tuple[float, list[float]]:
    import psycopg

    columns = ("tracking_code", "title", "description", "category_id", "lat", "lng", "address", "channel",
               "reporter_name", "reporter_phone", "is_urgent", "status", "assignment_final", "rework_count",
               "return_count", "extension_count", "reopen_count", "is_supervised", "is_exposed", "version",
               "created_at", "updated_at")
    sql = (f"INSERT INTO cases_case ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})")
    local = threading.local()
    conns = []
    lock = threading.Lock()

    def insert(i: int) -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(database_url)
            with lock:
                conns.append(conn)
        r = rows[i]
        conn.execute(sql, (f"WMRAW{i:011d}", *r[1:12], False, 0, 0, 0, 0, False, False, 0, r[12], r[13]))
        conn.commit()
        return 200

    elapsed, lat, _statuses = common.run_concurrently(len(rows), clients, insert)
    for conn in conns:
        conn.close()
    return len(rows) / elapsed, lat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    common.add_server_arguments(parser)
    args = parser.parse_args()
    args.reports = max(100, min(args.reports, 50_000))
    load_before = os.getloadavg()

    database_url = os.environ.get("DATABASE_URL", common.DEFAULT_DB)
    common.ensure_database(database_url)
    env = common.bench_env(database_url, tempfile.mkdtemp(prefix="wm-bench-intake-"))
    common.migrate(env)
    common.setup_django(env)
    common.reset_cases()
    categories = common.seed_categories()
    from wenming.api.models import ApiClient, ApiToken

    client, _ = ApiClient.objects.get_or_create(name="bench-intake")
    _t, token = ApiToken.issue(name="bench", scopes=["report"], client=client)
    codes = [c.code for c in categories]
    headers_base = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    server = common.Server(env, args.workers, args.worker_class, args.threads)
    from wenming.cases.models import Case

    prefix = common.run_id()  # Idempotency-Keys: this run's prefix + client + counter, so every key is fresh
    try:
        def body(i: int) -> bytes:
            return json.dumps({
                "category": codes[i % len(codes)], "description": f"基准测试上报 {i}：人行道上有流动摊贩占道经营",
                "lat": 27.8 + (i % 97) / 1000, "lng": 113.1 + (i % 89) / 1000, "address": f"芦淞区建设路 {i} 号",
                "reporter_phone": "13812345678",
            }, ensure_ascii=False).encode("utf-8")

        def post(i: int) -> int:
            status, _ = common.keepalive_request("POST", server.port, "/api/v1/cases", body(i),
                                                 {**headers_base, "Idempotency-Key": f"{prefix}-p{i}"})
            return status

        for i in range(max(20, args.workers * args.threads * 3)):  # warm every worker and thread
            post(10_000_000 + i)
        before = Case.objects.filter(channel="api").count()
        if common.use_wrk(args.load_client):
            lua = f"""
local codes = {{{", ".join(common.lua_string(c) for c in codes)}}}
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = {common.lua_string(headers_base["Authorization"])}}}
local prefix = {common.lua_string(prefix)}
function make_request(i)
  local body = string.format(
    '{{"category": "%s", "description": "基准测试上报 %d：人行道上有流动摊贩占道经营", "lat": %.3f, "lng": %.3f, ' ..
    '"address": "芦淞区建设路 %d 号", "reporter_phone": "13812345678"}}',
    codes[i % #codes + 1], i, 27.8 + (i % 97) / 1000, 113.1 + (i % 89) / 1000, i)
  headers["Idempotency-Key"] = prefix .. "-w" .. i
  return wrk.format("POST", "/api/v1/cases", headers, body)
end
"""
            r = common.run_wrk(server.port, lua, 201, args.reports, args.clients,
                               lambda: Case.objects.filter(channel="api").count() - before)
            client = f"wrk ({r['threads']} threads, {r['connections']} connections, kept alive where the server allows)"
            ok, sent, elapsed, p50, p95 = r["ok"], r["ok"] + r["bad"], r["elapsed"], r["p50"], r["p95"]
        else:
            elapsed, lat, statuses = common.run_concurrently(args.reports, args.clients, post)
            client = f"Python threads ({args.clients} connections, kept alive where the server allows)"
            ok, sent, p50, p95 = sum(1 for s in statuses if s == 201), len(statuses), common.pct(lat, 50), common.pct(lat, 95)
    finally:
        server.stop()
    written = Case.objects.filter(channel="api").count() - before
    rate = ok / elapsed
    p50, p95 = p50 * 1000, p95 * 1000
    print(f"cpus={os.cpu_count()} {common.server_label(args)} clients={args.clients}; load average before "
          f"{common.loadavg(load_before)}, after {common.loadavg()}")
    print(f"load client: {client}")
    print(f"HTTP intake: {ok}/{sent} reports (201) in {elapsed:.2f} s = {rate:.0f} reports/s; "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (goals ≥ 300/s: {'met' if rate >= 300 else 'NOT met'}; "
          f"p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'})")
    print(f"cases written meanwhile: {written} (answered 201: {ok}; a run ends with up to {args.clients} requests in "
          f"flight, not counted)")
    if ok != sent or not ok <= written <= ok + args.clients:
        raise SystemExit("intake check failed: non-201 answers or cases written do not match the answers")

    rows = list(Case.objects.filter(channel="api").order_by("pk").values_list(
        "tracking_code", "title", "description", "category_id", "lat", "lng", "address", "channel",
        "reporter_name", "reporter_phone", "is_urgent", "status", "created_at", "updated_at")[: args.reports])
    raw_rate, raw_lat = raw_insert_rate(database_url, rows, args.clients)
    print(f"raw psycopg INSERT+COMMIT of the same {len(rows)} rows, {args.clients} connections: {raw_rate:.0f} rows/s; "
          f"p50 {common.pct(raw_lat, 50) * 1000:.1f} ms, p95 {common.pct(raw_lat, 95) * 1000:.1f} ms")
    print(f"ratio HTTP intake / raw insert: {rate / raw_rate:.2f} "
          f"(HTTP path writes case + event + idempotency check + token lookup per report)")


if __name__ == "__main__":
    main()
