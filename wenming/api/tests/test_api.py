"""JSON API /api/v1/: reports, lists, details, workflow actions, auth scopes, pagination, idempotency, rate limits,
errors in one Chinese shape, and the local docs page."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wenming.api.models import ApiToken
from wenming.cases.models import Case, CaseAttachment, CaseEvent
from wenming.cases.workflow import Action, transition
from wenming.core import clock

from .conftest import NOW, bearer, png_bytes

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def post_json(client, path, data, **headers):
    return client.post(f"{V1}{path}", json.dumps(data), content_type="application/json", **headers)


def report(client, **extra):
    data = {"category": "SJ0401", "description": "人行道上有流动摊贩占道经营", "lat": 27.83, "lng": 113.13}
    headers = extra.pop("headers", {})
    data.update(extra)
    return post_json(client, "/cases", data, **headers)


def assert_error(r, status, code=None):
    assert r.status_code == status, r.content.decode()
    body = r.json()
    assert set(body) >= {"code", "message"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body  # a Chinese message
    if code:
        assert body["code"] == code
    return body


# ---------------------------------------------------------------------------------------------------------------
# Reporting


def test_anonymous_report_and_tracking(client, world, frozen):
    r = report(client, reporter_name="王小明", reporter_phone="13812345678", address="建设路 1 号")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "reported" and body["view"] == "public"
    assert body["reporter"] == {"name": "王*", "phone": "138****5678"}
    assert body["created_at"] == "2019-10-15T10:00:00+08:00"
    case = Case.objects.get()
    assert case.channel == "api" and case.reporter_phone == "13812345678"
    # The reporter follows the case by its tracking code; others cannot list it before acceptance.
    r = client.get(f"{V1}/cases/{body['tracking_code'].lower()}")
    assert r.status_code == 200 and r.json()["id"] == case.pk
    assert client.get(f"{V1}/cases/{case.pk}").status_code == 404
    assert client.get(f"{V1}/cases").json()["items"] == []


def test_report_with_photos_multipart(client, world):
    photo = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    r = client.post(f"{V1}/cases/upload", {"category": "SJ0401", "description": "井边堆放大量垃圾，气味难闻",
                                            "address": "建设路", "photos": [photo]}, **bearer(world.report_token))
    assert r.status_code == 201, r.content
    att = CaseAttachment.objects.get()
    assert att.kind == "before" and att.content_type == "image/png"
    assert r.json()["timeline"][0]["attachments"][0]["url"].startswith("http://testserver/media/")


def test_multipart_rejects_fake_image_and_unknown_field(client, world):
    fake = SimpleUploadedFile("a.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    r = client.post(f"{V1}/cases/upload", {"category": "SJ0401", "description": "井边堆放大量垃圾",
                                            "address": "建设路", "photos": [fake]})
    assert_error(r, 400)
    r = client.post(f"{V1}/cases/upload", {"category": "SJ0401", "description": "井边堆放大量垃圾",
                                            "address": "建设路", "evil": "1"})
    assert_error(r, 400, "invalid")
    assert Case.objects.count() == 0


def test_idempotency_key(client, world):
    h = {"HTTP_IDEMPOTENCY_KEY": "abc-123", **bearer(world.report_token)}
    r1 = report(client, headers=h)
    r2 = report(client, headers=h)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"] and r2["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    # The same key from another caller is another report: keys are per caller.
    r3 = report(client, headers={"HTTP_IDEMPOTENCY_KEY": "abc-123"})
    assert r3.status_code == 201 and r3.json()["id"] != r1.json()["id"]
    assert_error(report(client, headers={"HTTP_IDEMPOTENCY_KEY": "k" * 65}), 400)


@pytest.mark.parametrize(
    "body",
    [
        {"category": "SJ0401", "description": "占道经营严重", "lat": 27.8, "lng": 113.1, "admin": True},  # unknown
        {"category": "SJ0401", "description": "占道经营严重", "lat": "north", "lng": 113.1},  # wrong type
        {"category": "SJ0401", "description": "占道经营严重", "lat": 95, "lng": 113.1},  # range
        {"category": "SJ0401", "description": "短", "address": "路"},  # too short (service rule)
        {"category": "SJ0401", "description": "长" * 2001, "address": "路"},
        {"category": "SJ0401", "description": "占道经营严重"},  # no location
        {"category": "NOPE", "description": "占道经营严重", "address": "路"},
        {"category": "SJ0699", "description": "占道经营严重", "address": "路"},  # not public
        {"category": "SJ0401", "description": "占道\x00经营严重", "address": "路"},
        {"category": ["SJ0401"], "description": "占道经营严重", "address": "路"},
        {"description": "占道经营严重", "address": "路"},
        {"category": "SJ0401", "description": "占道经营严重", "address": "路", "is_urgent": "perhaps"},
        {"category": "SJ0401", "description": "占道经营严重", "address": "路", "reporter_phone": "12"},
    ],
)
def test_bad_bodies_are_400_and_store_nothing(client, world, body):
    body_ = assert_error(post_json(client, "/cases", body), 400)
    assert body_["details"] is None or all(d["message"] for d in body_["details"])
    assert Case.objects.count() == 0


def test_malformed_json_and_huge_payload(client, world):
    r = client.post(f"{V1}/cases", b"{not json", content_type="application/json")
    assert_error(r, 400)
    r = client.post(f"{V1}/cases", b"[1,2,3]", content_type="application/json")
    assert_error(r, 400)
    huge = json.dumps({"category": "SJ0401", "description": "长" * 400_000, "address": "路"})
    assert_error(client.post(f"{V1}/cases", huge, content_type="application/json"), 400)
    assert Case.objects.count() == 0


def test_script_and_sql_stored_as_typed(client, world, frozen):
    text = "<script>alert(1)</script>'; DROP TABLE cases_case; --"
    r = report(client, description=text, address="<img src=x onerror=alert(1)>", headers=bearer(world.office_token))
    assert r.status_code == 201
    case = Case.objects.get()
    assert case.description == text
    assert r.json()["description"] == text  # JSON-encoded, never rendered


# ---------------------------------------------------------------------------------------------------------------
# Reading


def accepted_case(client, world, **extra):
    r = report(client, headers=bearer(world.report_token), **extra)
    case = Case.objects.get(pk=r.json()["id"])
    transition(case, Action.ACCEPT, actor=world.office)
    return case


def test_list_filters_and_cursor_pagination(client, world):
    with clock.frozen(NOW - dt.timedelta(days=3)):
        old = accepted_case(client, world)
    with clock.frozen(NOW):
        cases = [accepted_case(client, world) for _ in range(4)]
        comp = accepted_case(client, world, category="BJ0101")
        transition(cases[0], Action.DISPATCH, actor=world.office, data={"unit": world.unit})
        report(client, address="未受理的")  # never public while reported
        seen, cursor = [], None
        for _ in range(10):
            r = client.get(f"{V1}/cases", {"limit": 2, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200
            seen += [c["id"] for c in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        assert seen == sorted([old.pk, comp.pk] + [c.pk for c in cases], reverse=True)

        def ids(**q):
            r = client.get(f"{V1}/cases", q)
            assert r.status_code == 200, r.content
            return [c["id"] for c in r.json()["items"]]

        assert ids(category="BJ0101") == [comp.pk]
        assert ids(state="dispatched") == [cases[0].pk]
        assert ids(state="accepted,dispatched") == sorted([old.pk, comp.pk] + [c.pk for c in cases], reverse=True)
        assert ids(unit=world.unit.pk) == [cases[0].pk]
        assert ids(created_from="2019-10-12", created_to="2019-10-12") == [old.pk]
        assert ids(created_from="2019-10-15") == sorted([comp.pk] + [c.pk for c in cases], reverse=True)
        assert ids(district="430202") == []
        assert ids(grid_cell="43020200100101") == []
        assert ids(overdue=True) == []
    with clock.frozen(NOW + dt.timedelta(days=30)):
        assert ids(overdue=True) == [cases[0].pk]
    assert_error(client.get(f"{V1}/cases", {"state": "bogus"}), 400)
    assert_error(client.get(f"{V1}/cases", {"cursor": "!!!"}), 400, "bad_cursor")
    assert_error(client.get(f"{V1}/cases", {"limit": 0}), 400)
    assert_error(client.get(f"{V1}/cases", {"limit": "many"}), 400, "invalid")
    assert_error(client.get(f"{V1}/cases", {"created_from": "2019-02-30"}), 400, "invalid")
    assert_error(client.get(f"{V1}/cases", {"created_from": "2019-10-20", "created_to": "2019-10-01"}), 400)


def test_public_and_full_timelines(client, world, frozen):
    case = accepted_case(client, world, reporter_phone="13812345678")
    transition(case, Action.DISPATCH, actor=world.office, data={"unit": world.unit})
    transition(case, Action.SIGN, actor=world.unit_user)
    transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="雨天无法施工", data={"working_days": 2})
    public = client.get(f"{V1}/cases/{case.pk}").json()
    full = client.get(f"{V1}/cases/{case.pk}", **bearer(world.unit_token)).json()
    assert public["view"] == "public" and full["view"] == "full"
    assert "request_extension" not in [e["action"] for e in public["timeline"]]
    assert "request_extension" in [e["action"] for e in full["timeline"]]
    assert public["reporter"]["phone"] == "138****5678" and full["reporter"]["phone"] == "13812345678"
    assert "feed_back" in full["available_actions"]
    other = client.get(f"{V1}/cases/{case.pk}", **bearer(world.other_token)).json()
    assert other["view"] == "public" and other["available_actions"] == []


def test_reference_endpoints(client, world):
    cats = client.get(f"{V1}/categories").json()
    assert {c["code"] for c in cats} == {"SJ0401", "BJ0101"}
    admin_cats = client.get(f"{V1}/categories", **bearer(world.office_token)).json()
    assert "SJ0699" in {c["code"] for c in admin_cats}
    assert client.get(f"{V1}/categories/SJ0401").json()["responsible_unit"] == "市城管局"
    assert_error(client.get(f"{V1}/categories/NOPE"), 404, "not_found")
    units = client.get(f"{V1}/units").json()
    assert {u["name"] for u in units["items"]} >= {"市城管局", "市创文办"}
    assert client.get(f"{V1}/units/{world.unit.pk}").json()["name"] == "市城管局"
    assert_error(client.get(f"{V1}/units/99999999"), 404)
    assert client.get(f"{V1}/jurisdictions").status_code == 200
    assert_error(client.get(f"{V1}/jurisdictions/000000"), 404)


# ---------------------------------------------------------------------------------------------------------------
# Workflow actions and scopes


def test_workflow_actions_through_transition(client, world, frozen):
    case = accepted_case(client, world)
    act = lambda token, **b: post_json(client, f"/cases/{case.pk}/actions", b, **bearer(token))  # noqa: E731
    r = act(world.office_token, action="dispatch", unit_id=world.unit.pk, expected_version=case.version)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "dispatched" and r.json()["assigned_unit"]["name"] == "市城管局"
    assert_error(act(world.other_token, action="sign"), 403, "forbidden")  # not their case
    assert_error(act(world.unit_token, action="sign", expected_version=0), 409, "case_changed")
    assert act(world.unit_token, action="sign").json()["status"] == "in_progress"
    assert_error(act(world.unit_token, action="verify_pass"), 409, "illegal_state")
    assert_error(act(world.unit_token, action="feed_back"), 400, "evidence_required")
    assert act(world.unit_token, action="feed_back", note="已清理").json()["status"] == "handled"
    assert_error(act(world.unit_token, action="fly"), 400, "unknown_action")
    assert_error(act(world.unit_token, action="feed_back", note="x", extra=1), 400, "invalid")
    assert_error(act(world.office_token, action="verify_pass", due_at="2019-10-20T10:00:00"), 400)
    assert act(world.office_token, action="verify_pass").json()["status"] == "closed"
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch", "sign", "feed_back", "verify_pass"]


def test_scopes(client, world):
    case = accepted_case(client, world)
    path = f"/cases/{case.pk}/actions"
    assert_error(post_json(client, path, {"action": "dispatch"}), 401, "unauthorized")
    assert_error(post_json(client, path, {"action": "dispatch"}, **bearer(world.read_token)), 403, "forbidden")
    assert_error(report(client, headers=bearer(world.read_token)), 403)
    assert_error(client.get(f"{V1}/cases", **bearer("wmt_nonsense")), 401, "unauthorized")
    token = ApiToken.objects.get(name="unit")
    token.is_active = False
    token.save()
    assert_error(client.get(f"{V1}/cases", **bearer(world.unit_token)), 401)
    # A client-system token with act_for_unit but no user cannot act: someone must be the actor of record.
    _t, raw = ApiToken.issue(name="sys", scopes=["act_for_unit"], client=world.client_system)
    assert_error(post_json(client, path, {"action": "dispatch"}, **bearer(raw)), 403)


def test_token_stops_with_its_client_its_user_or_its_expiry(client, world):
    """Each is checked on every call, in every process: no cached "this token was fine a moment ago"."""
    from django.contrib.auth import get_user_model

    assert client.get(f"{V1}/cases", **bearer(world.report_token)).status_code == 200
    world.client_system.is_active = False
    world.client_system.save()
    assert_error(client.get(f"{V1}/cases", **bearer(world.report_token)), 401, "unauthorized")
    world.client_system.is_active = True
    world.client_system.save()
    assert client.get(f"{V1}/cases", **bearer(world.report_token)).status_code == 200

    assert client.get(f"{V1}/cases", **bearer(world.unit_token)).status_code == 200
    get_user_model().objects.filter(pk=world.unit_user.pk).update(is_active=False)
    assert_error(client.get(f"{V1}/cases", **bearer(world.unit_token)), 401)

    token = ApiToken.objects.get(name="office")
    token.expires_at = clock.now() + dt.timedelta(minutes=1)
    token.save()
    assert client.get(f"{V1}/cases", **bearer(world.office_token)).status_code == 200
    token.expires_at = clock.now() - dt.timedelta(seconds=1)
    token.save()
    assert_error(client.get(f"{V1}/cases", **bearer(world.office_token)), 401)


def test_session_auth_needs_csrf_for_writes(world):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world.office)
    assert c.get(f"{V1}/cases").status_code == 200
    case = accepted_case(c, world)  # token-authenticated: no CSRF involved
    r = post_json(c, f"/cases/{case.pk}/actions", {"action": "dispatch", "unit_id": world.unit.pk})
    assert_error(r, 403, "csrf")
    c.get("/accounts/login/")
    token = c.cookies.get("csrftoken")
    if token is not None:
        r = post_json(c, f"/cases/{case.pk}/actions", {"action": "dispatch", "unit_id": world.unit.pk},
                      HTTP_X_CSRFTOKEN=token.value)
        assert r.status_code == 200, r.content


def test_rate_limits_for_anonymous_only(client, world, settings):
    settings.WENMING_API_ANON_RATE_LIMITS = {"read": (2, 60), "report": (1, 60)}
    assert [client.get(f"{V1}/categories").status_code for _ in range(3)] == [200, 200, 429]
    body = assert_error(client.get(f"{V1}/categories"), 429, "rate_limited")
    assert "频繁" in body["message"]
    assert client.get(f"{V1}/categories", **bearer(world.read_token)).status_code == 200
    assert report(client, address="路").status_code == 201
    assert_error(report(client, address="路"), 429)
    assert report(client, address="路", headers=bearer(world.report_token)).status_code == 201


# ---------------------------------------------------------------------------------------------------------------
# Plans and progress


@pytest.fixture
def target(world):
    from wenming.plans.models import Measure, Plan, Responsibility, Section, Target

    plan = Plan.objects.create(title="株洲市创建全国文明城市实施方案", starts_on=dt.date(2019, 1, 1),
                               ends_on=dt.date(2020, 12, 31), source_sha256="x")
    section = Section.objects.create(plan=plan, number=1, title="基础设施")
    measure = Measure.objects.create(plan=plan, section=section, number=11, title="完善城市基础设施")
    resp = Responsibility.objects.create(measure=measure)
    resp.lead_units.add(world.unit)
    return Target.objects.create(measure=measure, text="新建改造公共厕所230座", metric="新建改造公共厕所",
                                 value=230, unit="座", starts_on=dt.date(2019, 1, 1), deadline=dt.date(2020, 12, 31))


def test_plans_and_progress_reports(client, world, target, frozen):
    plans = client.get(f"{V1}/plans").json()
    assert plans[0]["title"] == "株洲市创建全国文明城市实施方案"
    detail = client.get(f"{V1}/plans/{plans[0]['id']}").json()
    assert detail["sections"] == [{"number": 1, "title": "基础设施"}]
    m = client.get(f"{V1}/measures/{target.measure_id}").json()
    assert m["lead_units"] == ["市城管局"] and m["target_ids"] == [target.pk]
    t = client.get(f"{V1}/targets", {"unit": world.unit.pk}).json()["items"][0]
    assert t["metric"] == "新建改造公共厕所" and t["status"]
    path = f"{V1}/targets/{target.pk}/reports"
    form = {"org_unit_id": world.unit.pk, "period_start": "2019-10-01", "value": "120", "note": "已完成120座"}
    assert_error(client.post(path, form), 401)
    r = client.post(path, form, **bearer(world.unit_token))
    assert r.status_code == 201, r.content
    assert r.json()["value"] == "120.0000" or float(r.json()["value"]) == 120
    assert_error(client.post(path, {**form, "value": "1.5"}, **bearer(world.unit_token)), 400)
    assert_error(client.post(path, {**form, "period_start": "2019-10-02"}, **bearer(world.unit_token)), 400)
    assert_error(client.post(path, form, **bearer(world.other_token)), 400)  # not a responsible unit
    assert_error(client.post(path, {**form, "bogus": "1"}, **bearer(world.unit_token)), 400, "invalid")
    reports = client.get(path, **bearer(world.unit_token)).json()
    assert len(reports["items"]) == 1
    assert_error(client.get(f"{V1}/targets/999999"), 404)


# ---------------------------------------------------------------------------------------------------------------
# Schema and docs


def test_openapi_and_local_docs(client, world):
    schema = client.get(f"{V1}/openapi.json").json()
    assert "/api/v1/cases" in schema["paths"]
    assert schema["paths"]["/api/v1/cases"]["post"]["responses"]["400"]
    page = client.get(f"{V1}/docs").content.decode()
    assert "cdn" not in page.lower() and "http://" not in page and "https://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js"):
        r = client.get(f"{V1}/docs/assets/{asset}")
        assert r.status_code == 200
        assert b"".join(r.streaming_content)
    assert client.get(f"{V1}/docs/assets/..%2Fsettings.py").status_code == 404
