"""Open311 GeoReport v2 conformance: every call, filter and error, in JSON and in XML (parsed with xml.etree)."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from wenming.api.models import Open311Intake
from wenming.cases.models import Case
from wenming.cases.workflow import Action, transition
from wenming.core import clock

from .conftest import NOW

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
FORMATS = ["json", "xml"]


def parse(response, fmt):
    """The body as Python: JSON as is; XML as a list of dicts (or the root's children for one object)."""
    assert response["Content-Type"].startswith("application/json" if fmt == "json" else "text/xml")
    assert b"<html" not in response.content.lower()
    if fmt == "json":
        return json.loads(response.content.decode("utf-8"))
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    return root


def xml_items(root):
    return [{child.tag: (child.text or "") for child in item} for item in root]


def errors_of(response, fmt):
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and body
        return [(e["code"], e["description"]) for e in body]
    assert body.tag == "errors"
    return [(int(e.find("code").text), e.find("description").text) for e in body.findall("error")]


def post(client, fmt, data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def good(world, **extra):
    data = {
        "api_key": world.open311_key, "service_code": "SJ0401", "lat": "27.83", "long": "113.13",
        "description": "人行道上有流动摊贩占道经营，影响通行", "first_name": "小明", "last_name": "王",
        "phone": "13812345678", "email": "wang@example.cn",
    }
    data.update(extra)
    return data


# ---------------------------------------------------------------------------------------------------------------
# Services


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_has_public_categories_only(client, world, fmt):
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 200
    body = parse(r, fmt)
    items = body if fmt == "json" else xml_items(body)
    codes = {s["service_code"] for s in items}
    assert codes == {"SJ0401", "BJ0101"}  # the non-public category is not a service
    s = next(s for s in items if s["service_code"] == "SJ0401")
    assert s["service_name"] == "占道经营"
    assert s["group"] == "街面秩序"
    assert str(s["metadata"]).lower() == "true"
    assert s["type"] == "realtime"
    if fmt == "xml":
        assert body.tag == "services" and body[0].tag == "service"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, world, fmt):
    r = client.get(f"{BASE}/services/BJ0101.{fmt}")
    assert r.status_code == 200
    body = parse(r, fmt)
    if fmt == "json":
        assert body["service_code"] == "BJ0101"
        attrs = {a["code"]: a for a in body["attributes"]}
        assert attrs["is_urgent"]["datatype"] == "singlevaluelist"
        assert {v["key"] for v in attrs["impact"]["values"]} == {"traffic", "hygiene", "safety", "noise"}
        assert attrs["component_id"]["datatype"] == "string"
        assert attrs["is_urgent"]["variable"] is True
    else:
        assert body.tag == "service_definition"
        assert body.find("service_code").text == "BJ0101"
        attrs = body.find("attributes").findall("attribute")
        codes = [a.find("code").text for a in attrs]
        assert codes == ["is_urgent", "impact", "component_id"]
        values = attrs[1].find("values").findall("value")
        assert values[0].find("name").text == "影响通行"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404(client, world, fmt):
    for code in ("NOPE", "SJ0699"):  # unknown, and not public
        r = client.get(f"{BASE}/services/{code}.{fmt}")
        assert r.status_code == 404
        assert errors_of(r, fmt)[0][0] == 404


def test_unknown_format_and_path_answer_in_spec_format(client, world):
    r = client.get(f"{BASE}/services.html")
    assert r.status_code == 400 and errors_of(r, "json")
    r = client.get(f"{BASE}/nothing/here.xml")
    assert r.status_code == 404 and errors_of(r, "xml")[0][0] == 404
    r = client.delete(f"{BASE}/services.json")
    assert r.status_code == 400 and errors_of(r, "json")


# ---------------------------------------------------------------------------------------------------------------
# POST requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_request_auto_accept_returns_id_and_stores_everything(client, world, fmt, frozen):
    data = good(world, **{"attribute[is_urgent]": "true", "attribute[impact][]": ["traffic", "safety"]})
    r = post(client, fmt, data)
    assert r.status_code == 200, r.content
    body = parse(r, fmt)
    item = body[0] if fmt == "json" else xml_items(body)[0]
    case = Case.objects.get(pk=int(item["service_request_id"]))
    assert case.channel == "open311" and case.is_urgent
    assert case.reporter_name == "王小明" and case.reporter_phone == "13812345678"
    assert case.description == "人行道上有流动摊贩占道经营，影响通行"
    intake = Open311Intake.objects.get(case=case)
    assert intake.attributes == {"is_urgent": "true", "impact": ["safety", "traffic"]}
    assert intake.email == "wang@example.cn"
    assert case.tracking_code in item["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_address_string_or_address_id(client, world, fmt):
    r = post(client, fmt, good(world, lat="", long="", address_string="芦淞区建设中路 88 号"))
    assert r.status_code == 200
    assert Case.objects.get().address == "芦淞区建设中路 88 号"
    r = post(client, fmt, good(world, lat="", long="", address_id="A-1001"))
    assert r.status_code == 200
    assert Open311Intake.objects.filter(address_id="A-1001").exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_moderated_intake_answers_with_token_then_id_after_acceptance(client, world, fmt, settings):
    settings.WENMING_OPEN311_MODERATED = True
    r = post(client, fmt, good(world))
    assert r.status_code == 200
    body = parse(r, fmt)
    item = body[0] if fmt == "json" else xml_items(body)[0]
    assert "service_request_id" not in item
    token = item["token"]
    r = client.get(f"{BASE}/tokens/{token}.{fmt}")
    body = parse(r, fmt)
    got = body[0] if fmt == "json" else xml_items(body)[0]
    assert got == {"token": token}
    case = Case.objects.get(tracking_code=token)
    assert client.get(f"{BASE}/requests/{case.pk}.{fmt}").status_code == 404  # not published yet
    transition(case, Action.ACCEPT, actor=world.office)
    body = parse(client.get(f"{BASE}/tokens/{token}.{fmt}"), fmt)
    got = body[0] if fmt == "json" else xml_items(body)[0]
    assert got == {"service_request_id": str(case.pk), "token": token}
    assert client.get(f"{BASE}/services.{fmt}").content.count(b"batch") >= 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(client, world, fmt):
    r = client.get(f"{BASE}/tokens/WM20191015XXXXXX.{fmt}")
    assert r.status_code == 404 and errors_of(r, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "change, status",
    [
        ({"api_key": "wrong"}, 403),
        ({"api_key": ""}, 403),
        ({"service_code": "NOPE"}, 404),
        ({"service_code": ""}, 400),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "27.8"}, 200),
        ({"long": ""}, 400),
        ({"lat": "abc"}, 400),
        ({"lat": "NaN"}, 400),
        ({"lat": "95"}, 400),
        ({"description": ""}, 400),
        ({"description": "长" * 4001}, 400),
        ({"email": "not-an-email"}, 400),
        ({"phone": "<script>"}, 400),
        ({"media_url": "javascript:alert(1)"}, 400),
        ({"colour": "red"}, 400),
        ({"attribute[nope]": "1"}, 400),
        ({"attribute[is_urgent]": "maybe"}, 400),
        ({"attribute[impact][]": ["traffic", "flood"]}, 400),
        ({"jurisdiction_id": "430100"}, 400),
        ({"jurisdiction_id": "430200"}, 200),
        ({"jurisdiction_id": "株洲市"}, 200),
        ({"description": "nul\x00byte here"}, 400),
    ],
)
def test_post_errors_store_nothing(client, world, fmt, change, status):
    r = post(client, fmt, good(world, **change))
    assert r.status_code == status, r.content.decode()
    if status == 200:
        assert Case.objects.count() == 1
        return
    errs = errors_of(r, fmt)
    assert errs[0][0] == status and errs[0][1]
    assert Case.objects.count() == 0 and Open311Intake.objects.count() == 0


def test_component_attribute_pattern(client, world):
    r = post(client, "json", good(world, service_code="BJ0101", **{"attribute[component_id]": "12345"}))
    assert r.status_code == 400
    r = post(client, "json", good(world, service_code="BJ0101", **{"attribute[component_id]": "3205080101000001"}))
    assert r.status_code == 200


def test_outside_jurisdiction_and_huge_payload(client, world):
    big = {"api_key": world.open311_key, "service_code": "SJ0401", "address_string": "x", "description": "长" * 70000}
    r = client.post(f"{BASE}/requests.xml", big)
    assert r.status_code == 400 and "过大" in errors_of(r, "xml")[0][1]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_script_and_sql_are_stored_as_typed_and_escaped(client, world, fmt):
    text = "'; DROP TABLE cases_case; -- <script>alert('x')</script> 占道"
    r = post(client, fmt, good(world, description=text, address_string="<b>路</b>"))
    assert r.status_code == 200
    case = Case.objects.get()
    assert case.description == text
    r = client.get(f"{BASE}/requests/{case.pk}.{fmt}")
    if fmt == "xml":
        assert b"<script>" not in r.content
        assert xml_items(parse(r, fmt))[0]["description"] == text
    else:
        assert parse(r, fmt)[0]["description"] == text


# ---------------------------------------------------------------------------------------------------------------
# GET requests


def make_cases(world, client, n=3):
    ids = []
    for i in range(n):
        r = post(client, "json", good(world, description=f"第{i}号问题：占道经营"))
        ids.append(int(r.json()[0]["service_request_id"]))
    return ids


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_fields_and_states(client, world, fmt):
    with clock.frozen(NOW):
        [cid] = make_cases(world, client, 1)
        case = Case.objects.get(pk=cid)
        transition(case, Action.ACCEPT, actor=world.office)
        transition(case, Action.DISPATCH, actor=world.office, note="请尽快处置", data={"unit": world.unit})
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        transition(case, Action.SIGN, actor=world.unit_user)
        r = client.get(f"{BASE}/requests/{cid}.{fmt}")
    assert r.status_code == 200
    body = parse(r, fmt)
    item = body[0] if fmt == "json" else xml_items(body)[0]
    assert item["status"] == "open"
    assert item["status_notes"] == "请尽快处置"  # latest public note
    assert item["agency_responsible"] == "市城管局"
    assert item["requested_datetime"] == "2019-10-15T10:00:00+08:00"
    assert item["updated_datetime"] == "2019-10-15T11:00:00+08:00"
    case.refresh_from_db()
    assert item["expected_datetime"] == case.due_at.astimezone(NOW.tzinfo).replace(microsecond=0).isoformat()
    assert item["expected_datetime"].endswith("+08:00")
    assert item["service_code"] == "SJ0401" and item["service_name"] == "占道经营"
    assert float(item["lat"]) == 27.83 and float(item["long"]) == 113.13
    with clock.frozen(NOW + dt.timedelta(hours=2)):
        transition(case, Action.FEED_BACK, actor=world.unit_user, note="已劝离摊贩")
        transition(case, Action.VERIFY_PASS, actor=world.office, note="核查通过，已结案")
    body = parse(client.get(f"{BASE}/requests/{cid}.{fmt}"), fmt)
    item = body[0] if fmt == "json" else xml_items(body)[0]
    assert item["status"] == "closed" and item["status_notes"] == "核查通过，已结案"


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_404s(client, world, fmt):
    for ref in ("999999", "abc", "1" * 30):
        r = client.get(f"{BASE}/requests/{ref}.{fmt}")
        assert r.status_code == 404 and errors_of(r, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_filters(client, world, fmt, settings):
    def ids(query=""):
        r = client.get(f"{BASE}/requests.{fmt}{query}")
        assert r.status_code == 200, r.content
        body = parse(r, fmt)
        items = body if fmt == "json" else xml_items(body)
        return [int(i["service_request_id"]) for i in items]

    with clock.frozen(NOW - dt.timedelta(days=100)):
        [old] = make_cases(world, client, 1)
    with clock.frozen(NOW):
        a, b = make_cases(world, client, 2)
        r = post(client, "json", good(world, service_code="BJ0101"))
        comp = int(r.json()[0]["service_request_id"])
        transition(Case.objects.get(pk=b), Action.REJECT, actor=world.office, note="重复上报")
        assert ids() == [comp, b, a]  # newest first, last 90 days only
        assert ids(f"?service_request_id={a},{old},999999&service_code=BJ0101") == [a, old]  # overrides others
        assert ids("?service_code=BJ0101") == [comp]
        assert ids("?service_code=BJ0101,SJ0401") == [comp, b, a]
        assert ids("?status=open") == [comp, a]
        assert ids("?status=closed") == [b]
        assert ids("?status=open,closed") == [comp, b, a]
        assert ids("?start_date=2019-07-01T00:00:00%2B08:00&end_date=2019-07-10T00:00:00Z") == [old]
        assert ids("?start_date=2019-07-01T00:00:00Z") == [old]  # end = start + 90 days
        assert ids("?end_date=2019-10-15T09:00:00%2B08:00") == []  # the three came at 10:00
        assert ids("?end_date=2019-10-15T02:00:00Z") == [comp, b, a]  # the same instant in UTC
        settings.WENMING_OPEN311_MAX_REQUESTS = 2
        assert len(ids()) == 2


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "query",
    [
        "?start_date=2019-10-01",  # no time zone
        "?start_date=2019-10-01T00:00:00",  # naive
        "?start_date=yesterday",
        "?start_date=2019-13-01T00:00:00Z",
        "?start_date=2019-01-01T00:00:00Z&end_date=2019-06-01T00:00:00Z",  # > 90 days
        "?start_date=2019-06-01T00:00:00Z&end_date=2019-05-01T00:00:00Z",  # end before start
        "?status=pending",
        "?service_request_id=1;DROP TABLE x",
        "?jurisdiction_id=beijing",
    ],
)
def test_list_bad_input_is_400(client, world, fmt, query):
    r = client.get(f"{BASE}/requests.{fmt}{query}")
    assert r.status_code == 400
    assert errors_of(r, fmt)[0][0] == 400


def test_list_unknown_service_code_is_404(client, world):
    r = client.get(f"{BASE}/requests.xml?service_code=NOPE")
    assert r.status_code == 404 and errors_of(r, "xml")[0][0] == 404


def test_moderated_list_shows_only_accepted(client, world, settings):
    a, b = make_cases(world, client, 2)
    settings.WENMING_OPEN311_MODERATED = True
    transition(Case.objects.get(pk=a), Action.ACCEPT, actor=world.office)
    r = client.get(f"{BASE}/requests.json")
    assert [int(i["service_request_id"]) for i in r.json()] == [a]


@pytest.mark.parametrize("fmt", FORMATS)
def test_chinese_round_trip(client, world, fmt):
    text = "井盖缺失，夜间行人易跌落！请尽快处理——株洲市芦淞区 «测试» 😀"
    r = post(client, fmt, good(world, description=text, address_string="芦淞区 建设路"))
    body = parse(r, fmt)
    rid = body[0]["service_request_id"] if fmt == "json" else xml_items(body)[0]["service_request_id"]
    r = client.get(f"{BASE}/requests/{rid}.{fmt}")
    body = parse(r, fmt)
    item = body[0] if fmt == "json" else xml_items(body)[0]
    assert item["description"] == text and item["address"] == "芦淞区 建设路"
    assert "井盖缺失".encode() in r.content  # characters, not escapes


def test_anonymous_reads_are_rate_limited(client, world, settings):
    settings.WENMING_API_ANON_RATE_LIMITS = {"read": (3, 60)}
    codes = [client.get(f"{BASE}/services.xml").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get(f"{BASE}/services.xml")
    assert "频繁" in errors_of(r, "xml")[0][1] and r["Retry-After"]
