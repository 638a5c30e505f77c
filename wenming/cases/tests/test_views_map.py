"""The office's map of open cases and its GeoJSON feed (bbox filter, capped count), and list query shape."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wenming.cases import selectors
from wenming.cases.workflow import Status

from .conftest import START


@pytest.fixture
def office(client, world):
    client.force_login(world.office)
    return client


def test_map_page_loads_leaflet_locally(office, world):
    body = office.get(reverse("cases:map")).content.decode()
    assert "/static/leaflet/leaflet.js" in body and "cdn" not in body.lower()
    assert reverse("cases:map_geojson") in body


def test_feed_shows_open_cases_in_the_box_coloured_by_status(office, world, frozen_start):
    inside = world.case(Status.IN_PROGRESS, lat=27.83, lng=113.13, due_at=START - dt.timedelta(hours=1))
    reported = world.case(Status.REPORTED, lat=27.84, lng=113.14)
    world.case(Status.CLOSED, lat=27.83, lng=113.13)
    world.case(Status.IN_PROGRESS, lat=28.5, lng=112.0)
    world.case(Status.REPORTED, lat=None, lng=None, address="无坐标")
    data = office.get(reverse("cases:map_geojson"), {"bbox": "113.0,27.7,113.3,27.9"}).json()
    props = {f["properties"]["code"]: f for f in data["features"]}
    assert set(props) == {inside.tracking_code, reported.tracking_code}
    assert props[inside.tracking_code]["properties"]["overdue"] is True
    assert props[inside.tracking_code]["properties"]["color"] == selectors.OVERDUE_COLOR
    assert props[reported.tracking_code]["properties"]["color"] == selectors.STATUS_COLORS[Status.REPORTED]
    assert props[inside.tracking_code]["geometry"] == {"type": "Point", "coordinates": [113.13, 27.83]}
    assert props[inside.tracking_code]["properties"]["url"] == reverse("cases:detail", args=[inside.pk])
    assert data["truncated"] is False
    only = office.get(reverse("cases:map_geojson"), {"status": "closed"}).json()
    assert len(only["features"]) == 1


def test_feed_caps_and_refuses_a_bad_box(office, world, frozen_start, monkeypatch):
    monkeypatch.setattr(selectors, "MAP_MAX_FEATURES", 3)
    monkeypatch.setattr(selectors.map_features, "__defaults__", (3,))
    for _i in range(5):
        world.case(Status.REPORTED)
    data = office.get(reverse("cases:map_geojson")).json()
    assert len(data["features"]) == 3 and data["truncated"] is True
    bad = office.get(reverse("cases:map_geojson"), {"bbox": "1,2,x"})
    assert bad.status_code == 400 and "bbox" in bad.json()["error"]


def test_feed_is_office_only(client, world):
    client.force_login(world.unit_user)
    assert client.get(reverse("cases:map_geojson")).status_code == 403


def test_list_queries_do_not_grow_with_rows(office, world, frozen_start):
    for _i in range(3):
        world.case(Status.IN_PROGRESS)
    with CaptureQueriesContext(connection) as few:
        office.get(reverse("cases:office"), {"queue": "all"})
    for _i in range(20):
        world.case(Status.IN_PROGRESS)
    with CaptureQueriesContext(connection) as many:
        office.get(reverse("cases:office"), {"queue": "all"})
    assert len(many) == len(few)


def test_capped_count(world):
    for _i in range(5):
        world.case(Status.REPORTED)
    from wenming.cases.models import Case

    assert selectors.capped_count(Case.objects.all(), cap=3).label == "3+"
    assert selectors.capped_count(Case.objects.all(), cap=10).label == "5"


def test_list_uses_the_indexes_on_postgres(world):
    """At a million cases the queue reads must not sort the table (issue #3 §4)."""
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("EXPLAIN plans checked on PostgreSQL")
    from wenming.cases.models import Case, Channel

    # On a near-empty table the planner's pick among indexes is arbitrary. A few thousand analysed rows shaped like
    # a running platform (most cases closed, a queue of new reports, a unit holding a share) give real plans.
    def status(i):
        return Status.REPORTED if i % 50 == 0 else Status.DISPATCHED if i % 50 < 6 else Status.CLOSED

    now = dt.datetime(2019, 10, 1, tzinfo=dt.UTC)
    Case.objects.bulk_create([
        Case(tracking_code=f"WMPLAN{i:010d}", description="人行道上有流动摊贩占道经营", category=world.category,
             channel=Channel.WEB, status=status(i), created_at=now + dt.timedelta(minutes=i), updated_at=now,
             assigned_unit=world.unit if status(i) == Status.DISPATCHED else None,
             due_at=now + dt.timedelta(days=i % 30) if status(i) == Status.DISPATCHED else None)
        for i in range(5000)
    ], batch_size=1000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE cases_case")
        # With sorting and table scans priced out, the planner picks a plan without them if an index allows one:
        # the property that matters at a million cases, whatever a small table's statistics would make it prefer.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        try:
            plan = Case.objects.filter(status="reported").order_by("-created_at", "-pk")[:51].explain()
            assert "case_status_created" in plan
            plan = Case.objects.filter(assigned_unit_id=world.unit.pk).order_by("due_at", "pk")[:51].explain()
            assert "case_unit_due" in plan or "case_unit_status" in plan
        finally:
            cur.execute("RESET enable_seqscan")
            cur.execute("RESET enable_sort")


def test_text_search_finds_words_of_any_length_and_only_real_matches(world):
    """The office's search box: one- and two-character Chinese words (the usual length), longer phrases, Latin
    letters in any case, wildcard characters taken literally, and no match made of pieces from different fields."""
    from wenming.cases.models import Case

    def make(description, title="", address=""):
        return world.case(Status.REPORTED, description=description, title=title, address=address).tracking_code

    manhole = make("井盖缺失，存在安全隐患", address="建设路12号")
    lamp = make("路灯不亮，影响夜间出行", title="LED路灯")
    split = make("路边有人摆摊", address="灯塔小区")  # 路 … 灯 in different places: not "路灯"
    percent = make("广告写着全场5折_100%返现")

    def found(text):
        return set(selectors.text_search(Case.objects.all(), text).values_list("tracking_code", flat=True))

    assert found("井") == {manhole}
    assert found("井盖") == {manhole}
    assert found("路灯") == {lamp}
    assert found("路灯不亮") == {lamp}
    assert found("led") == {lamp} and found("Led路") == {lamp}
    assert found("12号") == {manhole}
    assert found("100%") == {percent} and found("5折_") == {percent} and found("%") == {percent}
    assert found("路边有人摆摊灯塔") == set()
    assert split in found("灯塔") and found("盖缺失，存") == {manhole}


def test_rare_word_search_uses_the_character_pair_index_on_postgres(world):
    """At a million cases a rare two-character word must not read the table (bench/lists.py: 5 s → 60 ms): the
    query must be one the pair index can answer."""
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("EXPLAIN plans checked on PostgreSQL")
    from wenming.cases.models import Case, Channel

    now = dt.datetime(2019, 10, 1, tzinfo=dt.UTC)
    Case.objects.bulk_create([
        Case(tracking_code=f"WMTEXT{i:010d}", description=f"人行道上有流动摊贩占道经营{i}", category=world.category,
             channel=Channel.WEB, status=Status.CLOSED, created_at=now + dt.timedelta(minutes=i), updated_at=now,
             address=f"建设路{i}号")
        for i in range(5000)
    ], batch_size=1000)
    world.case(Status.REPORTED, description="现场有人兜售金丝猴玩偶")
    qs = selectors.text_search(Case.objects.all(), "金丝").order_by("-created_at", "-pk")[:51]
    with connection.cursor() as cur:
        cur.execute("ANALYZE cases_case")
        # Plain index and table scans priced out: a bitmap scan is left, and only the pair index can answer the
        # condition — so this fails exactly when the query's expression no longer matches the index's. Which plan
        # a million cases get is measured by bench/lists.py.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        try:
            plan = qs.explain()
        finally:
            cur.execute("RESET enable_seqscan")
            cur.execute("RESET enable_indexscan")
    assert "case_text_grams" in plan
    assert [c.description for c in qs] == ["现场有人兜售金丝猴玩偶"]
