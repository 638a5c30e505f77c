"""Time the office and unit workbench pages and their text search at a million cases on PostgreSQL.

    .venv/bin/python bench/lists.py [--runs 5]

Issue #3 §4: "All lists paginate and stay fast at a million cases." Runs against the database bench/metrics.py
builds (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/wm_bench_metrics; run bench/metrics.py first).
That generator gives every case the same placeholder text, so this script first rewrites descriptions and
addresses once, server-side, into varied Chinese reports (30 places × 5 positions × 30 problems × 30 durations,
plus ten cases mentioning a rare phrase, 金丝猴), and re-analyses the table.

Each line is one whole page request through Django's test client (URL → view → SQL → template), logged in as an
office user or a unit user, median of --runs after one warm-up: the office queues, the unit workbench, and text
searches of 1 to 4 characters, common and rare, with the number of cases each search matches. Goal per page:
well under a second; the machine's load average is printed because figures are only comparable at similar load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wm_bench_metrics")
os.environ["DJANGO_SETTINGS_MODULE"] = "wenming.settings.test"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from wenming.accounts.models import Membership, OrgUnit, Role, User  # noqa: E402
from wenming.cases.models import Case  # noqa: E402

PLACES = ["建设路", "人民路", "红旗广场", "神农公园", "新华西路", "长江北路", "株洲大道", "荷塘铺", "芦淞市场",
          "火车站广场", "炎帝广场", "天元大道", "黄河南路", "湘江风光带", "贺家土", "庆云山", "响石岭", "白石港",
          "栗雨工业园", "泰山路", "珠江北路", "滨江南路", "董家塅", "樟树坪", "荷花公园", "石峰公园", "清水塘",
          "田心大道", "龙头铺", "枫溪大道"]
POSITIONS = ["附近", "门口", "旁边", "对面", "一带"]
PROBLEMS = ["人行道上有流动摊贩占道经营", "井盖缺失存在安全隐患", "路灯不亮影响夜间出行", "垃圾桶破损垃圾满溢",
            "非法小广告张贴在电线杆上", "工地扬尘未覆盖", "渣土车抛洒滴漏", "机动车乱停乱靠占用盲道", "公厕脏乱无人保洁",
            "露天烧烤油烟扰民", "有人车窗抛物", "黑臭水体散发异味", "违法建筑正在搭建", "农贸市场脏乱差",
            "网吧接纳未成年人", "共享单车乱停放", "店铺出店经营", "绿化带被踩踏毁坏", "行人乱穿马路",
            "公交站台广告牌破损", "下水道堵塞污水外溢", "道路坑洼积水", "施工围挡倒塌", "噪音扰民到深夜",
            "护栏破损", "宠物粪便无人清理", "墙面乱涂乱画", "树木倒伏挡路", "消防通道被占用", "非法营运车辆揽客"]
RARE = "金丝猴"

REWRITE_SQL = """
UPDATE cases_case SET
  description = (%(places)s)[1 + (id * 7) %% 30] || (%(positions)s)[1 + (id / 30) %% 5] || '，'
                || (%(problems)s)[1 + (id * 13) %% 30] || '，已持续' || (1 + id %% 30) || '天，请尽快处理。'
                || CASE WHEN id %% 100000 = 7 THEN '现场有人兜售%(rare)s玩偶。' ELSE '' END,
  address = '株洲市' || (%(places)s)[1 + (id * 7) %% 30] || (1 + id %% 500) || '号'
"""


def sql_array(items: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + s + "'" for s in items) + "]"


def ensure_text() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case")
        total = cur.fetchone()[0]
        if total < 100_000:
            raise SystemExit(f"only {total} cases: run bench/metrics.py first (it builds the million)")
        cur.execute("SELECT count(*) FROM (SELECT 1 FROM cases_case WHERE description = '压测案件' LIMIT 1) s")
        if cur.fetchone()[0]:
            print(f"rewriting the text of {total:,} cases (once) …", flush=True)
            t = time.perf_counter()
            cur.execute(REWRITE_SQL % {"places": sql_array(PLACES), "positions": sql_array(POSITIONS),
                                       "problems": sql_array(PROBLEMS), "rare": RARE})
            cur.execute("ANALYZE cases_case")
            print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)


def users() -> tuple[User, User]:
    office_unit, _ = OrgUnit.objects.get_or_create(name="压测创文办", defaults={"kind": "leadership"})
    office, created = User.objects.get_or_create(username="bench-office")
    if created:
        Membership.objects.create(user=office, org_unit=office_unit, role=Role.OFFICE)
    # The unit with the most cases (the generator skews cases towards the first units).
    busiest = (Case.objects.exclude(assigned_unit=None).values("assigned_unit").order_by()
               .annotate(n=django.db.models.Count("pk")).order_by("-n").first())
    unit_user, created = User.objects.get_or_create(username="bench-unit")
    if created:
        Membership.objects.create(user=unit_user, org_unit_id=busiest["assigned_unit"], role=Role.UNIT)
    return office, unit_user


def timed(client: Client, url: str, runs: int) -> tuple[float, float]:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200
    return statistics.median(times) * 1000, max(times) * 1000


def matches(text: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case WHERE description LIKE %s OR address LIKE %s OR title LIKE %s",
                    [f"%{text}%"] * 3)
        return cur.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()  # the test client's template instrumentation, as in tests
    ensure_text()
    office, unit_user = users()
    total = Case.objects.count()
    print(f"cases: {total:,}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    office_client, unit_client = Client(), Client()
    office_client.force_login(office)
    unit_client.force_login(unit_user)
    pages = [("office: all cases, first page", office_client, "/cases/?queue=all"),
             ("office: new reports", office_client, "/cases/?queue=reported"),
             ("office: overdue", office_client, "/cases/?queue=overdue"),
             ("office: to verify", office_client, "/cases/?queue=verify"),
             ("unit workbench: to do", unit_client, "/cases/unit/"),
             ("unit workbench: all", unit_client, "/cases/unit/?queue=all")]
    for label, client, url in pages:
        median, worst = timed(client, url, args.runs)
        print(f"{label:36s} median {median:7.1f} ms  max {worst:7.1f} ms")
    for text in ["井", "猴", "井盖", "金丝", "渣土车", RARE, "路灯不亮", "株洲大道"]:
        n = matches(text)
        median, worst = timed(office_client, f"/cases/?queue=all&q={text}", args.runs)
        print(f"office search {text!r:12s} ({len(text)} chars, {n:>7,} cases) median {median:7.1f} ms  "
              f"max {worst:7.1f} ms")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
