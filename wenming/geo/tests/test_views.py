import json

import pytest
from django.urls import reverse

from wenming.accounts.models import User
from wenming.geo import views
from wenming.geo.models import GridCell

pytestmark = pytest.mark.django_db


def test_map_page_draws_without_tiles_by_default(client, tiny_grid, settings):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": []}
    page = client.get(reverse("geo:map"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "网格地图" in html and "查询所在网格" in html
    assert "leaflet/leaflet.js" in html and "leaflet/leaflet.css" in html
    assert page.context["map_config"]["tiles"] == []
    assert "/geo/cells.geojson" in html and "/geo/locate" in html


def test_map_page_adds_a_configured_tile_layer(client, db, settings):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": [("底图", url, {"attribution": "示例"})]}
    page = client.get(reverse("geo:map"))
    assert page.context["map_config"]["tiles"] == [{"name": "底图", "url": url, "options": {"attribution": "示例"}}]
    assert "tiles.example.org" in page.content.decode()


def test_cells_geojson_filters_by_bbox(client, tiny_grid):
    data = client.get(reverse("geo:cells"), {"bbox": "112.0,29.0,112.04,29.1"}).json()
    assert data["type"] == "FeatureCollection" and not data["truncated"]
    assert [f["properties"]["code"] for f in data["features"]] == [tiny_grid.west_cell.code]
    props = data["features"][0]["properties"]
    assert props["community"] == "测试社区" and props["street"] == "测试街道" and props["district"] == "测试区"
    assert props["responsible_unit"] == "测试物业公司" and not props["responsible_fallback"]
    everything = client.get(reverse("geo:cells")).json()
    assert len(everything["features"]) == 2
    east = next(f for f in everything["features"] if f["id"] == tiny_grid.east_cell.code)["properties"]
    assert east["responsible_unit"] == "测试街道办事处" and east["responsible_fallback"]
    assert client.get(reverse("geo:cells"), {"bbox": "100,10,101,11"}).json()["features"] == []


def test_cells_geojson_is_capped(client, tiny_grid, monkeypatch):
    monkeypatch.setattr(views, "MAX_CELLS", 1)
    data = client.get(reverse("geo:cells")).json()
    assert len(data["features"]) == 1 and data["truncated"]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "113,27,112,28", "nan,1,2,3"])
def test_cells_geojson_bad_bbox(client, db, bbox):
    response = client.get(reverse("geo:cells"), {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox 参数应为" in response.json()["error"]


def test_jurisdictions_geojson(client, tiny_grid):
    data = client.get(reverse("geo:jurisdictions"), {"kind": "street"}).json()
    assert [f["properties"]["name"] for f in data["features"]] == ["测试街道", "东测街道"]
    assert client.get(reverse("geo:jurisdictions"), {"kind": "planet"}).status_code == 400


def test_locate_endpoint(client, tiny_grid):
    data = client.get(reverse("geo:locate"), {"lat": "29.05", "lng": "112.02"}).json()
    assert data["cell"]["code"] == tiny_grid.west_cell.code
    assert data["community"]["name"] == "测试社区"
    assert data["street"]["name"] == "测试街道"
    assert data["district"]["code"] == "430299"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"lat": "91", "lng": "112"}, "坐标无效：纬度应在 -90 到 90 之间"),
        ({"lat": "abc", "lng": "112"}, "坐标无效"),
        ({"lat": "29"}, "请提供纬度"),
        ({"lat": "39.9", "lng": "116.4"}, "该位置不在本市管辖范围内"),
    ],
)
def test_locate_endpoint_errors(client, tiny_grid, params, message):
    response = client.get(reverse("geo:locate"), params)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("root", "root@example.org", "x-very-long-password")
    client.force_login(user)
    return client


def test_admin_lists_and_searches(admin_client, tiny_grid):
    url = reverse("admin:geo_gridcell_changelist")
    assert admin_client.get(url, {"q": "测试社区"}).status_code == 200
    page = admin_client.get(url, {"district": "430299"})
    assert tiny_grid.west_cell.code in page.content.decode()
    assert admin_client.get(reverse("admin:geo_jurisdiction_changelist"), {"q": "测试"}).status_code == 200
    auto = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "geo", "model_name": "gridcell", "field_name": "community", "term": "测试"},
    ).json()
    assert [r["text"] for r in auto["results"]] == ["测试社区"]


def _form(cell, geometry):
    return {
        "code": cell.code, "name": cell.name, "community": cell.community_id,
        "responsible_unit": cell.responsible_unit_id or "", "geometry": json.dumps(geometry),
    }


def test_admin_geometry_edit_keeps_bbox_in_sync(admin_client, tiny_grid):
    cell = tiny_grid.east_cell
    geometry = {"type": "Polygon", "coordinates": [[[112.06, 29.01], [112.09, 29.01], [112.09, 29.04], [112.06, 29.01]]]}
    response = admin_client.post(reverse("admin:geo_gridcell_change", args=[cell.pk]), _form(cell, geometry))
    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.min_lng, cell.min_lat, cell.max_lng, cell.max_lat) == (112.06, 29.01, 112.09, 29.04)


@pytest.mark.parametrize(
    "geometry, message",
    [
        ({"type": "Point", "coordinates": [112.0, 29.0]}, "几何类型应为 Polygon 或 MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[112.1, 29.0], [112.2, 29.1], [112.2, 29.0], [112.1, 29.1],
                                              [112.1, 29.0]]]}, "边界自相交"),
        ({"type": "Polygon", "coordinates": [[[29.0, 200.0], [29.1, 200.0], [29.1, 201.0], [29.0, 200.0]]]},
         "超出 WGS84 范围"),
    ],
)
def test_admin_refuses_bad_geometry(admin_client, tiny_grid, geometry, message):
    cell = tiny_grid.east_cell
    response = admin_client.post(reverse("admin:geo_gridcell_change", args=[cell.pk]), _form(cell, geometry))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert GridCell.objects.get(pk=cell.pk).geometry == cell.geometry


def test_admin_refuses_a_code_outside_its_community(admin_client, tiny_grid):
    cell = tiny_grid.east_cell
    form = _form(cell, cell.geometry) | {"code": "430299002001" + cell.code[12:]}
    response = admin_client.post(reverse("admin:geo_gridcell_change", args=[cell.pk]), form)
    assert "前 12 位应与所属社区编码" in response.content.decode()
