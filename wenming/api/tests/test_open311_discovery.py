"""Open311 Service Discovery (spec: wiki.open311.org/Service_Discovery): /open311/discovery.json|xml, the first
document a client reads, pointing it at this deployment's GeoReport v2 endpoint."""

import datetime as dt
import json
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from wenming.cases.models import Category
from wenming.core import clock

from .conftest import NOW

pytestmark = pytest.mark.django_db
FORMATS = ["json", "xml"]
PATHS = ["/open311/discovery", "/open311/v2/discovery"]


def discovery(response, fmt) -> dict:
    """The document as a dict in both formats; XML read with the spec's structure (endpoints/endpoint,
    formats/format), so a wrongly nested element fails here."""
    assert response.status_code == 200, response.content
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content.decode("utf-8"))
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    assert root.tag == "discovery"
    doc = {child.tag: child.text for child in root if child.tag != "endpoints"}
    doc["endpoints"] = []
    for endpoint in root.find("endpoints").findall("endpoint"):
        item = {child.tag: child.text for child in endpoint if child.tag != "formats"}
        item["formats"] = [f.text for f in endpoint.find("formats").findall("format")]
        doc["endpoints"].append(item)
    return doc


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_document_has_every_field_the_spec_requires(client, world, fmt, path):
    doc = discovery(client.get(f"{path}.{fmt}"), fmt)
    assert list(doc) == ["changeset", "contact", "key_service", "endpoints"]
    assert all(doc[k] for k in ("changeset", "contact", "key_service"))
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert endpoint["changeset"] == doc["changeset"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_endpoint_url_is_the_v2_root_and_its_services_answer(client, world, fmt):
    [endpoint] = discovery(client.get(f"/open311/discovery.{fmt}"), fmt)["endpoints"]
    url = urlsplit(endpoint["url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", "/open311/v2")
    r = client.get(f"{endpoint['url']}/services.{fmt}")  # what a client does next
    assert r.status_code == 200
    assert "占道经营".encode() in r.content


def test_endpoint_url_follows_the_host_and_scheme_the_client_used(client, world):
    r = client.get("/open311/discovery.json", secure=True, HTTP_HOST="wenming.zhuzhou.example.cn")
    [endpoint] = discovery(r, "json")["endpoints"]
    assert endpoint["url"] == "https://wenming.zhuzhou.example.cn/open311/v2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_chinese_survives_in_both_formats(client, world, fmt, settings):
    r = client.get(f"/open311/discovery.{fmt}")
    doc = discovery(r, fmt)
    assert "株洲市文明办" in doc["contact"]
    assert "株洲市文明办" in doc["key_service"] and "api_key" in doc["key_service"]
    assert "株洲市文明办".encode() in r.content  # characters, not \\u escapes or entities
    settings.WENMING_OPEN311_CONTACT = "株洲市文明办信息科，电话 0731-22000000，邮箱 wmb@zhuzhou.example.cn"
    doc = discovery(client.get(f"/open311/discovery.{fmt}"), fmt)
    assert doc["contact"] == "株洲市文明办信息科，电话 0731-22000000，邮箱 wmb@zhuzhou.example.cn"


def test_changeset_moves_when_a_category_changes(client, db):
    assert discovery(client.get("/open311/discovery.json"), "json")["changeset"] == "1970-01-01T08:00:00+08:00"
    with clock.frozen(NOW):
        category = Category.objects.create(kind="event", main_code="04", main_class="街面秩序", code="SJ0401",
                                           name="占道经营")
    first = discovery(client.get("/open311/discovery.json"), "json")["changeset"]
    assert first == "2019-10-15T10:00:00+08:00"  # W3C date and time with the deployment's zone
    with clock.frozen(NOW + dt.timedelta(days=1, hours=2)):
        category.name = "占道经营（含流动摊贩）"
        category.save()
    doc = discovery(client.get("/open311/discovery.xml"), "xml")
    assert doc["changeset"] == doc["endpoints"][0]["changeset"] == "2019-10-16T12:00:00+08:00"
    assert doc["changeset"] > first  # sortable, as the spec asks


@pytest.mark.parametrize("path", PATHS)
def test_unknown_format_is_the_spec_error(client, world, path):
    r = client.get(f"{path}.html")
    assert r.status_code == 400
    assert r["Content-Type"].startswith("application/json")
    [error] = r.json()
    assert error["code"] == 400 and ".json" in error["description"] and ".xml" in error["description"]


def test_discovery_is_read_only(client, world):
    r = client.post("/open311/discovery.xml", {"api_key": world.open311_key})
    assert r.status_code == 400
    assert ET.fromstring(r.content).tag == "errors"
