"""Issuing API tokens and Open311 keys from the admin: the secret is shown once after saving, only its digest is
kept, it works at once, and edits (revocation, scopes) never show or change it."""

import json
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from wenming.accounts.models import User
from wenming.api.models import ApiClient, ApiToken, Open311Key, hash_secret
from wenming.cases.models import Case

from .conftest import bearer

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r"wmt_[A-Za-z0-9_-]{40,}")
KEY = re.compile(r"o311_[A-Za-z0-9_-]{40,}")
ONCE = "只显示这一次"


@pytest.fixture
def admin(world):
    """A superuser's browser; the API calls go through the anonymous `client`, so only the token can admit them."""
    browser = Client()
    browser.force_login(User.objects.create_superuser("root", "root@example.cn", "x" * 12))
    return browser


def token_form(**change):
    data = {"name": "区级平台", "client": "", "user": "", "scopes": ["read_public"],
            "expires_at_0": "", "expires_at_1": "", "_save": "1"}
    data.update(change)
    return data


def add_token(admin, **change):
    r = admin.post(reverse("admin:api_apitoken_add"), token_form(**change), follow=True)
    assert r.status_code == 200
    found = TOKEN.findall(r.content.decode())
    assert len(found) == 1, "the new token is on the page after saving, exactly once"
    return r, found[0]


def reported_case(client, world) -> int:
    """A report that is not yet accepted: only the admin scope lists it in /api/v1/cases."""
    r = client.post("/open311/v2/requests.json", {"api_key": world.open311_key, "service_code": "SJ0401",
                                                  "address_string": "建设路", "description": "人行道上有流动摊贩"})
    return int(r.json()[0]["service_request_id"])


def listed(client, raw) -> list[int]:
    r = client.get("/api/v1/cases", **bearer(raw))
    assert r.status_code == 200, r.content
    return [item["id"] for item in r.json()["items"]]


def test_added_token_is_shown_once_and_works(admin, client, world):
    case_id = reported_case(client, world)
    before = ApiToken.objects.count()
    r, raw = add_token(admin, client=str(world.client_system.pk), scopes=["read_public", "admin"])
    assert ONCE in r.content.decode()
    token = ApiToken.objects.get(name="区级平台")
    assert ApiToken.objects.count() == before + 1
    assert token.key_hash == hash_secret(raw) and token.prefix == raw[:10]
    assert token.client == world.client_system and token.scopes == ["admin", "read_public"]

    assert case_id in listed(client, raw)  # the admin scope chosen on the form is in force
    assert client.get("/api/v1/cases", **bearer(raw + "x")).status_code == 401

    change = admin.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert token.prefix in change and raw not in change
    assert raw not in admin.get(reverse("admin:api_apitoken_changelist")).content.decode()


def test_secret_is_kept_nowhere(admin, world):
    r = admin.post(reverse("admin:api_apitoken_add"), token_form(user=str(world.unit_user.pk), scopes=["act_for_unit"]))
    assert r.status_code == 302
    # Between saving and showing, the message waits in the browser's cookie, not in the session table.
    sessions = json.dumps([s.get_decoded() for s in Session.objects.all()], ensure_ascii=False)
    [raw] = TOKEN.findall(admin.get(r["Location"]).content.decode())
    token = ApiToken.objects.get(name="区级平台")
    assert token.user == world.unit_user and token.client is None
    assert raw not in json.dumps([token.name, token.prefix, token.key_hash, token.scopes])
    assert raw not in sessions
    assert all(raw not in json.dumps(s.get_decoded()) for s in Session.objects.all())
    assert all(raw not in f"{e.object_repr} {e.change_message}" for e in LogEntry.objects.all())
    assert LogEntry.objects.filter(object_id=str(token.pk)).exists()  # the addition is in the admin history


def test_expiry_chosen_on_the_add_page_is_kept(admin, world):
    _r, raw = add_token(admin, client=str(world.client_system.pk), expires_at_0="2099-12-31", expires_at_1="18:00:00")
    token = ApiToken.objects.get(name="区级平台")
    assert token.expires_at.isoformat() == "2099-12-31T10:00:00+00:00"  # 18:00 in Asia/Shanghai


def test_editing_revokes_and_rescopes_without_touching_the_secret(admin, client, world):
    case_id = reported_case(client, world)
    _r, raw = add_token(admin, client=str(world.client_system.pk), scopes=["admin"])
    token = ApiToken.objects.get(name="区级平台")
    url = reverse("admin:api_apitoken_change", args=[token.pk])
    edit = token_form(client=str(world.client_system.pk), scopes=["read_public"], is_active="on")

    r = admin.post(url, edit, follow=True)
    assert r.status_code == 200 and raw not in r.content.decode() and ONCE not in r.content.decode()
    token.refresh_from_db()
    assert token.scopes == ["read_public"] and token.key_hash == hash_secret(raw)
    assert case_id not in listed(client, raw)  # read_public only: unaccepted reports are not listed

    del edit["is_active"]  # unticked
    admin.post(url, edit)
    token.refresh_from_db()
    assert not token.is_active and token.key_hash == hash_secret(raw)
    assert client.get("/api/v1/cases", **bearer(raw)).status_code == 401


@pytest.mark.parametrize(
    "change, message",
    [
        ({}, "请选择接入系统或用户"),
        ({"scopes": ["read_public", "superpower"]}, "未知的权限“superpower”"),
        ({"scopes": []}, "请至少选择一项权限"),
        ({"expires_at_0": "2001-01-01", "expires_at_1": "00:00:00"}, "过期时间应晚于现在"),
        ({"name": ""}, "这个字段是必填项"),
    ],
)
def test_bad_token_form_says_why_in_chinese_and_stores_nothing(admin, world, change, message):
    if change:
        change.setdefault("client", str(world.client_system.pk))
    before = ApiToken.objects.count()
    r = admin.post(reverse("admin:api_apitoken_add"), token_form(**change))
    assert r.status_code == 200  # the form again, not a redirect
    page = r.content.decode()
    assert message in page
    assert ONCE not in page and not TOKEN.search(page)
    assert ApiToken.objects.count() == before


def test_edit_cannot_leave_a_token_without_owner(admin, world):
    token = ApiToken.objects.get(name="hotline")
    r = admin.post(reverse("admin:api_apitoken_change", args=[token.pk]),
                   token_form(name="hotline", scopes=["report"], is_active="on"))
    assert r.status_code == 200 and "请选择接入系统或用户" in r.content.decode()
    token.refresh_from_db()
    assert token.client == world.client_system and token.scopes == ["read_public", "report"]


def test_client_page_cannot_add_a_token_without_a_secret(admin, world):
    system = ApiClient.objects.create(name="区级平台")
    data = {"name": "区级平台", "contact": "", "note": "", "is_active": "on", "_save": "1",
            "tokens-TOTAL_FORMS": "1", "tokens-INITIAL_FORMS": "0", "tokens-MIN_NUM_FORMS": "0",
            "tokens-MAX_NUM_FORMS": "1000", "tokens-0-name": "旁路令牌", "tokens-0-scopes": ["admin"],
            "tokens-0-is_active": "on"}
    admin.post(reverse("admin:api_apiclient_change", args=[system.pk]), data)
    assert not ApiToken.objects.filter(client=system).exists()


def test_open311_key_added_in_admin_works_for_post(admin, client, world):
    before = Open311Key.objects.count()
    r = admin.post(reverse("admin:api_open311key_add"), {"name": "区级平台", "_save": "1"}, follow=True)
    page = r.content.decode()
    [raw] = KEY.findall(page)
    assert ONCE in page and "Open311 密钥" in page
    key = Open311Key.objects.get(name="区级平台")
    assert Open311Key.objects.count() == before + 1 and key.key_hash == hash_secret(raw)

    report = {"api_key": raw, "service_code": "SJ0401", "lat": "27.83", "long": "113.13",
              "description": "人行道上有流动摊贩占道经营，影响通行"}
    r = client.post("/open311/v2/requests.json", report)
    assert r.status_code == 200, r.content
    case = Case.objects.get(pk=int(r.json()[0]["service_request_id"]))
    assert case.open311.key == key

    url = reverse("admin:api_open311key_change", args=[key.pk])
    assert raw not in admin.get(url).content.decode()
    admin.post(url, {"name": "区级平台（停用）"})  # 启用 unticked
    key.refresh_from_db()
    assert not key.is_active and key.key_hash == hash_secret(raw)
    assert client.post("/open311/v2/requests.json", report).status_code == 403


def test_open311_key_without_name_stores_nothing(admin, world):
    before = Open311Key.objects.count()
    r = admin.post(reverse("admin:api_open311key_add"), {"name": "  ", "_save": "1"})
    assert r.status_code == 200 and "这个字段是必填项" in r.content.decode()
    assert Open311Key.objects.count() == before and not KEY.search(r.content.decode())
