"""End to end with an off-the-shelf Open311 client (PyPI `georeport`) against a live server on 127.0.0.1."""

import json

import pytest
from georeport import GeoReport

from wenming.cases.models import Case

from .conftest import bearer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_lists_services_and_reads_back_requests(live_server, output_format, client):
    from .conftest import World

    world = World()
    # Requests created through the JSON API and through Open311 itself.
    r = client.post("/api/v1/cases", json.dumps({"category": "SJ0401", "description": "人行道上有流动摊贩占道经营",
                                                 "lat": 27.83, "lng": 113.13}),
                    content_type="application/json", **bearer(world.report_token))
    api_id = str(r.json()["id"])
    r = client.post("/open311/v2/requests.json", {"api_key": world.open311_key, "service_code": "BJ0101",
                                                  "address_string": "芦淞区建设中路", "description": "井盖缺失，行人易跌落"})
    o311_id = r.json()[0]["service_request_id"]

    geo = GeoReport(f"{live_server.url}/open311/v2", jurisdiction="430200", output_format=output_format)
    services = geo.get_service_list()
    assert {s["service_code"] for s in services} == {"SJ0401", "BJ0101"}
    assert {s["service_name"] for s in services} == {"占道经营", "井盖破损"}
    definition = geo.get_service_definition("SJ0401")
    assert definition["service_code"] == "SJ0401"

    requests = geo.get_service_requests(service_request_id=f"{api_id},{o311_id}")
    assert {r["service_request_id"] for r in requests} == {api_id, o311_id}
    one = geo.get_service_request(api_id)
    assert one["status"] == "open" and one["service_code"] == "SJ0401"
    assert one["description"] == "人行道上有流动摊贩占道经营"
    assert one["requested_datetime"].endswith("+08:00")
    by_service = geo.get_service_requests(service_code="BJ0101", status="open")
    by_service = by_service if isinstance(by_service, list) else [by_service]  # xmltodict: one item is a dict
    assert [r["service_request_id"] for r in by_service] == [o311_id]
    if output_format == "json":  # the client cannot read an empty XML list (xmltodict gives None)
        assert geo.get_service_requests(status="closed") == []
    other = geo.get_service_request(o311_id)
    assert other["address"] == "芦淞区建设中路"
    assert Case.objects.count() == 2
