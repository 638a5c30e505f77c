"""/api/v1/products: published assessment products only, their frozen snapshot and their files; who may read."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile

from wenming.api.models import ApiToken
from wenming.assessments.models import Product, ProductStatus

from .conftest import bearer

pytestmark = pytest.mark.django_db
V1 = "/api/v1"
SH = ZoneInfo("Asia/Shanghai")


def assert_error(r, status, code=None):
    assert r.status_code == status, r.content.decode()
    body = r.json()
    assert set(body) >= {"code", "message"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    if code:
        assert body["code"] == code
    return body


def product(kind, key, start, end, *, status=ProductStatus.PUBLISHED, version=1, correction_of=None, files=True):
    p = Product(kind=kind, period_key=key, period_start=start, period_end=end, version=version, status=status,
                title=f"{key} {kind}", snapshot={"blocks": [{"type": "text", "text": f"{key} 第{version}版"}]},
                document_number=f"株文明办〔2019〕{version}号" if status == ProductStatus.PUBLISHED else "",
                published_at=dt.datetime(2019, 11, 20, 10, tzinfo=SH) if status == ProductStatus.PUBLISHED else None,
                correction_of=correction_of, change_note="补录案件" if correction_of else "")
    if files:
        p.docx.save("w.docx", ContentFile(b"PK-docx-bytes"), save=False)
        p.xlsx.save("w.xlsx", ContentFile(b"PK-xlsx-bytes"), save=False)
    p.save()
    return p


@pytest.fixture
def products(world):
    week = product("weekly", "2019-W42", dt.date(2019, 10, 14), dt.date(2019, 10, 21))
    fixed = product("weekly", "2019-W42", dt.date(2019, 10, 14), dt.date(2019, 10, 21), version=2,
                    correction_of=week)
    month = product("monthly", "2019-10", dt.date(2019, 10, 1), dt.date(2019, 11, 1), files=False)
    draft = product("quarterly", "2019-Q4", dt.date(2019, 10, 1), dt.date(2020, 1, 1), status=ProductStatus.DRAFT)
    return {"week": week, "fixed": fixed, "month": month, "draft": draft}


def get(client, path, token=None, **params):
    return client.get(f"{V1}{path}", params, **(bearer(token) if token else {}))


def test_lists_published_only_newest_first(client, world, products):
    body = get(client, "/products", world.unit_token).json()
    assert [p["id"] for p in body["items"]] == [products["month"].pk, products["fixed"].pk, products["week"].pk]
    fixed = body["items"][1]
    assert fixed["version"] == 2 and fixed["correction_of"] == products["week"].pk and fixed["change_note"] == "补录案件"
    assert fixed["kind_label"] == "周观察" and fixed["published_at"] == "2019-11-20T10:00:00+08:00"
    assert fixed["downloads"]["docx"].endswith(f"/api/v1/products/{products['fixed'].pk}/files/docx")
    assert body["items"][0]["downloads"] == {"docx": None, "xlsx": None}
    assert "snapshot" not in fixed


def test_filters_and_pagination(client, world, products):
    token = world.office_token
    ids = lambda **p: [x["id"] for x in get(client, "/products", token, **p).json()["items"]]  # noqa: E731
    assert ids(kind="monthly") == [products["month"].pk]
    assert ids(kind="quarterly") == []  # the draft is not published
    assert ids(period="2019-W42") == [products["fixed"].pk, products["week"].pk]
    first = get(client, "/products", token, limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = get(client, "/products", token, limit=2, cursor=first["next_cursor"]).json()
    assert [x["id"] for x in rest["items"]] == [products["week"].pk] and rest["next_cursor"] is None
    assert_error(get(client, "/products", token, kind="daily"), 400, "invalid")
    assert_error(get(client, "/products", token, cursor="%%%"), 400, "bad_cursor")
    assert_error(get(client, "/products", token, limit=1000), 400, "bad_limit")


def test_detail_returns_the_frozen_snapshot(client, world, products):
    body = get(client, f"/products/{products['week'].pk}", world.unit_token).json()
    assert body["snapshot"] == {"blocks": [{"type": "text", "text": "2019-W42 第1版"}]}
    assert body["document_number"] == "株文明办〔2019〕1号"
    assert_error(get(client, f"/products/{products['draft'].pk}", world.office_token), 404, "not_found")
    assert_error(get(client, "/products/99999999", world.office_token), 404)
    assert_error(get(client, f"/products/{2**63}", world.office_token), 404)
    assert_error(get(client, "/products/abc", world.office_token), 400, "invalid")


def test_downloads(client, world, products):
    r = get(client, f"/products/{products['week'].pk}/files/docx", world.unit_token)
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"PK-docx-bytes"
    assert r["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "weekly-2019-W42-v1.docx" in r["Content-Disposition"]
    r = get(client, f"/products/{products['week'].pk}/files/xlsx", world.office_token)
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"PK-xlsx-bytes"
    assert_error(get(client, f"/products/{products['week'].pk}/files/pdf", world.office_token), 404)
    assert_error(get(client, f"/products/{products['month'].pk}/files/docx", world.office_token), 404)
    assert_error(get(client, f"/products/{products['draft'].pk}/files/docx", world.office_token), 404)


def test_who_may_read(client, world, products):
    pk = products["week"].pk
    for path in ("/products", f"/products/{pk}", f"/products/{pk}/files/docx"):
        assert_error(get(client, path), 401, "unauthorized")
        assert_error(get(client, path, world.read_token), 403, "forbidden")  # a client system without admin
    _t, admin_system = ApiToken.issue(name="sys", scopes=["admin"], client=world.client_system)
    assert get(client, "/products", admin_system).status_code == 200
    client.force_login(world.other_user)
    assert get(client, f"/products/{pk}").status_code == 200
