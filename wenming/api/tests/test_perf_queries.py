"""The report intake path stays cheap (issues #3 and #5): a pinned number of queries per JSON API / Open311 create,
a reply built from memory that says exactly what a read says, and the rare paths that the cheap one relies on
(a tracking-code clash retried, an idempotency-key race answered with the first case, webhooks still heard)."""

import json

import pytest

from wenming.api import webhooks
from wenming.api.models import WebhookDelivery, WebhookSubscription
from wenming.cases import catalog, services
from wenming.cases.models import Case, CaseEvent
from wenming.geo import locate as geo_locate
from wenming.geo import signals as geo_signals

from .conftest import bearer, png_bytes

pytestmark = pytest.mark.django_db
V1 = "/api/v1"

# Token, idempotency key; savepoint, INSERT case, INSERT event, release (BEGIN/COMMIT outside tests). The category
# comes from the per-process catalogue (cases.catalog), checked against the database every few seconds.
JSON_CREATE_QUERIES = 6
# Key; savepoint of case_report, INSERT case, INSERT event, INSERT intake (in the same transaction), release.
OPEN311_CREATE_QUERIES = 6


@pytest.fixture
def steady(monkeypatch):
    """The per-process state a running server has after its first report: the spatial index built (no boundaries
    here) and the category catalogue loaded, both checked only every few seconds, the "no webhook subscriber"
    answer remembered."""
    monkeypatch.setattr(geo_signals.index, "uncommitted", False)  # another test's grid writes are rolled back
    monkeypatch.setattr(geo_signals.index, "check_seconds", 3600)
    monkeypatch.setattr(catalog.snapshot, "uncommitted", False)  # the categories are in place before the run
    monkeypatch.setattr(catalog.snapshot, "check_seconds", 3600)
    geo_locate.invalidate()
    webhooks.forget_subscribers()
    yield
    geo_locate.invalidate()
    webhooks.forget_subscribers()


def report_body(i: int = 0, **extra) -> dict:
    return {"category": "SJ0401", "description": f"人行道上有流动摊贩占道经营 {i}", "lat": 27.83, "lng": 113.13,
            "address": f"建设路 {i} 号", "reporter_phone": "13812345678", **extra}


def post_report(client, world, i: int = 0, key: str | None = None, **extra):
    headers = bearer(world.report_token)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(f"{V1}/cases", json.dumps(report_body(i, **extra)), content_type="application/json",
                       **headers)


def test_json_create_query_count(client, world, steady, django_assert_max_num_queries):
    assert post_report(client, world, 0, key="warm-up").status_code == 201  # builds the index, stamps the token
    with django_assert_max_num_queries(JSON_CREATE_QUERIES):
        r = post_report(client, world, 1, key="k-1")
    assert r.status_code == 201 and r["Idempotent-Replayed"] == "false"
    with django_assert_max_num_queries(JSON_CREATE_QUERIES - 1):  # without a key: no key lookup
        assert post_report(client, world, 2).status_code == 201
    assert Case.objects.count() == 3 and CaseEvent.objects.count() == 3


def test_open311_create_query_count(client, world, steady, django_assert_max_num_queries):
    def post(i):
        return client.post("/open311/v2/requests.json", {
            "api_key": world.open311_key, "service_code": "SJ0401", "lat": "27.83", "long": "113.13",
            "description": f"占道经营，影响通行 {i}", "first_name": "明", "last_name": "王",
        })

    assert post(0).status_code == 200
    with django_assert_max_num_queries(OPEN311_CREATE_QUERIES):
        r = post(1)
    assert r.status_code == 200 and r.json()[0]["service_request_id"]


def test_open311_case_and_intake_row_are_one_write(world, steady, monkeypatch):
    """The intake row is written inside case_report's transaction: if it fails, no case is left without it."""
    from django.test import Client

    from wenming.api.models import Open311Intake

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Open311Intake.objects, "create", broken)
    r = Client().post("/open311/v2/requests.json", {
        "api_key": world.open311_key, "service_code": "SJ0401", "lat": "27.83", "long": "113.13",
        "description": "占道经营，影响通行",
    })
    assert r.status_code == 500 and r.json()[0]["code"] == 500  # the spec's error array, never an HTML page
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


@pytest.mark.parametrize("photo", [False, True])
def test_create_reply_from_memory_equals_a_read(client, world, steady, photo):
    """The 201 reply is built from the objects just written; it must say exactly what reading the case says."""
    data = report_body(7, title="占道", is_urgent=True, reporter_name="王明")
    if photo:
        from django.core.files.uploadedfile import SimpleUploadedFile

        data["photos"] = [SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")]
        created = client.post(f"{V1}/cases/upload", data, **bearer(world.report_token))
    else:
        created = client.post(f"{V1}/cases", json.dumps(data), content_type="application/json",
                              **bearer(world.report_token))
    assert created.status_code == 201, created.content
    read = client.get(f"{V1}/cases/{created.json()['tracking_code']}", **bearer(world.report_token))
    assert read.status_code == 200
    assert created.json() == read.json()
    assert len(created.json()["timeline"][0]["attachments"]) == (1 if photo else 0)
    # The admin's (full) view of a new case: the same single report event.
    created = client.post(f"{V1}/cases", json.dumps(report_body(8)), content_type="application/json",
                          **bearer(world.office_token))
    read = client.get(f"{V1}/cases/{created.json()['id']}", **bearer(world.office_token))
    assert created.status_code == 201 and created.json() == read.json()


def test_replay_answers_200_with_the_first_case(client, world, steady):
    first = post_report(client, world, 1, key="same")
    again = post_report(client, world, 2, key="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Case.objects.count() == 1


def test_tracking_code_clash_is_retried(client, world, steady, monkeypatch):
    taken = post_report(client, world, 1).json()["tracking_code"]
    codes = iter([taken, taken, "WM20191015ZZZZZZ"])
    monkeypatch.setattr(services, "new_tracking_code", lambda: next(codes))
    r = post_report(client, world, 2, key="clash")
    assert r.status_code == 201, r.content
    assert r.json()["tracking_code"] == "WM20191015ZZZZZZ"
    assert Case.objects.count() == 2 and CaseEvent.objects.count() == 2
    assert Case.objects.get(tracking_code="WM20191015ZZZZZZ").idempotency_key.endswith(":clash")


def test_tracking_codes_all_taken_is_an_error(world, steady, monkeypatch):
    case = services.case_report(category=world.category, description="人行道上有流动摊贩占道经营", address="建设路",
                                channel="api")
    monkeypatch.setattr(services, "new_tracking_code", lambda: case.tracking_code)
    with pytest.raises(RuntimeError):
        services.case_report(category=world.category, description="人行道上有流动摊贩占道经营", address="建设路",
                             channel="api")
    assert Case.objects.count() == 1


def test_idempotency_key_race_returns_the_winner(client, world, steady, monkeypatch):
    """Another request with the same key commits between our lookup and our INSERT: we answer with its case."""
    probe = post_report(client, world, 0, key="probe")  # learns how this caller's keys are stored
    race_key = Case.objects.get(pk=probe.json()["id"]).idempotency_key.replace(":probe", ":race")
    real = services.new_tracking_code
    winner = {}

    def racing_code():  # drawn after our lookup found nothing, before our INSERT
        if not winner:
            winner["case"] = Case.objects.create(
                tracking_code=real(), description="另一个请求先写入", category=world.category, address="建设路",
                channel="api", idempotency_key=race_key,
            )
        return real()

    monkeypatch.setattr(services, "new_tracking_code", racing_code)
    r = post_report(client, world, 1, key="race")
    assert r.status_code == 200 and r["Idempotent-Replayed"] == "true"
    assert r.json()["id"] == winner["case"].pk
    assert Case.objects.filter(idempotency_key=race_key).count() == 1


def test_new_subscription_is_heard_at_once_in_process(client, world, steady):
    post_report(client, world, 0)  # remembers "nobody subscribed"
    sub = WebhookSubscription.objects.create(name="热线", url="http://127.0.0.1:9/h", events=[], secret="s")
    post_report(client, world, 1)
    assert WebhookDelivery.objects.filter(subscription=sub, event="case.report").count() == 1
    sub.is_active = False
    sub.save()
    post_report(client, world, 2)
    assert WebhookDelivery.objects.count() == 1


def test_subscription_written_elsewhere_is_heard_after_the_recheck(client, world, steady, monkeypatch):
    """Writes that bypass this process's signals (another process, a bulk write) are seen within
    SUBSCRIBERS_RECHECK_SECONDS, or at once after forget_subscribers()."""
    post_report(client, world, 0)
    WebhookSubscription.objects.bulk_create([WebhookSubscription(name="外部", url="http://127.0.0.1:9/h", secret="s")])
    post_report(client, world, 1)
    assert WebhookDelivery.objects.count() == 0  # the documented delay
    monkeypatch.setattr(webhooks, "SUBSCRIBERS_RECHECK_SECONDS", 0)
    post_report(client, world, 2)
    assert WebhookDelivery.objects.count() == 1
