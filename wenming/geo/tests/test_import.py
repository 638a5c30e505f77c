import io
import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from wenming.geo.geometry import grid_code
from wenming.geo.importers import GridImportError, import_grid_geojson
from wenming.geo.locate import locate
from wenming.geo.models import GridCell

pytestmark = pytest.mark.django_db


def feature(code, bounds=(112.1, 29.0, 112.15, 29.05), **props):
    return {
        "type": "Feature",
        "geometry": mapping(box(*bounds)),
        "properties": {"code": code, "name": "东测网格", "community_code": "430299001001", **props},
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def write(tmp_path, data, name="grid.geojson"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def codes(tiny_grid):
    return [grid_code("430299001001", n) for n in (3, 4)]


def test_good_file_is_imported_and_located(tiny_grid, codes, tmp_path):
    data = collection(
        feature(codes[0], responsible_unit="测试物业公司"),
        feature(codes[1], (112.15, 29.0, 112.2, 29.05), community="测试社区", street_code="430299001",
                community_code=None),
    )
    summary = import_grid_geojson(write(tmp_path, data))
    assert (summary.features, summary.created, summary.updated) == (2, 2, 0)
    cell = GridCell.objects.get(code=codes[0])
    assert cell.responsible_unit == tiny_grid.unit and not cell.is_demo
    assert (cell.min_lng, cell.min_lat, cell.max_lng, cell.max_lat) == (112.1, 29.0, 112.15, 29.05)
    assert GridCell.objects.get(code=codes[1]).community == tiny_grid.community
    assert locate(29.02, 112.12).cell == cell  # the index picks up the import
    assert locate(29.02, 112.17).cell.code == codes[1]


def test_dry_run_stores_nothing(tiny_grid, codes, tmp_path):
    summary = import_grid_geojson(write(tmp_path, collection(feature(codes[0]))), dry_run=True)
    assert summary.dry_run and summary.created == 1
    assert not GridCell.objects.filter(code=codes[0]).exists()
    assert "试导入" in str(summary)


def test_reimport_updates_by_code(tiny_grid, codes, tmp_path):
    import_grid_geojson(write(tmp_path, collection(feature(codes[0]), feature(codes[1], (112.15, 29.0, 112.2, 29.05)))))
    changed = feature(codes[0], (112.1, 29.0, 112.12, 29.02), name="改过的网格")
    summary = import_grid_geojson(write(tmp_path, collection(changed, feature(codes[1], (112.15, 29.0, 112.2, 29.05)))))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    cell = GridCell.objects.get(code=codes[0])
    assert cell.name == "改过的网格" and (cell.max_lng, cell.max_lat) == (112.12, 29.02)
    assert GridCell.objects.filter(code__in=codes).count() == 2


def test_file_object_input(tiny_grid, codes):
    payload = json.dumps(collection(feature(codes[0]))).encode()
    assert import_grid_geojson(io.BytesIO(payload)).created == 1


BOWTIE = {"type": "Polygon", "coordinates": [[[112.1, 29.0], [112.2, 29.1], [112.2, 29.0], [112.1, 29.1], [112.1, 29.0]]]}


def _bad(code, **changes):
    f = feature(code)
    for key, value in changes.items():
        if key in ("geometry", "type"):
            f[key] = value
        else:
            f["properties"][key] = value
    return f


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda c: "{not json", "不是有效的 JSON"),
        (lambda c: json.dumps([1, 2]), "FeatureCollection"),
        (lambda c: collection(), "没有要素"),
        (lambda c: collection(_bad(c, type="Point")), "第 1 个要素"),
        (lambda c: collection(_bad(c, geometry={"type": "Point", "coordinates": [112.1, 29.0]})),
         "几何类型应为 Polygon 或 MultiPolygon"),
        (lambda c: collection(_bad(c, geometry=BOWTIE)), "自相交"),
        (lambda c: collection(_bad(c, geometry=mapping(box(29.0, 112.1, 29.05, 112.15)))), "超出 WGS84 范围"),
        (lambda c: collection(_bad(c, geometry={"type": "Polygon", "coordinates": [[[1, 2]]]})), "坐标结构不正确"),
        (lambda c: collection(_bad(c[:-1])), "网格编码应为"),
        (lambda c: collection(_bad("430299001002" + c[12:])), "前 12 位应与所属社区编码"),
        (lambda c: collection(_bad(c, community_code="430299001999")), "社区编码 430299001999 不存在"),
        (lambda c: collection(_bad(c, community_code=None)), "缺少 community_code"),
        (lambda c: collection(_bad(c, community_code=None, community="无此社区", street_code="430299001")),
         "没有名为“无此社区”的社区"),
        (lambda c: collection(_bad(c, responsible_unit="不存在的单位")), "责任单位“不存在的单位”不存在"),
        (lambda c: collection(_bad(None)), "缺少网格编码"),
        (lambda c: collection(_bad("4302990010010A")), "全部为数字"),
    ],
)
def test_bad_file_is_refused_and_nothing_stored(tiny_grid, codes, tmp_path, make, message):
    before = GridCell.objects.count()
    with pytest.raises(GridImportError) as info:
        import_grid_geojson(write(tmp_path, make(codes[0]) if isinstance(make(codes[0]), str) else make(codes[0])))
    assert message in str(info.value)
    assert GridCell.objects.count() == before


def test_one_bad_feature_stops_the_whole_file(tiny_grid, codes, tmp_path):
    data = collection(feature(codes[0]), _bad(codes[1], responsible_unit="不存在的单位"))
    with pytest.raises(GridImportError) as info:
        import_grid_geojson(write(tmp_path, data))
    assert f"第 2 个要素（编码 {codes[1]}）" in str(info.value)
    assert not GridCell.objects.filter(code__in=codes).exists()


def test_duplicate_codes_in_one_file(tiny_grid, codes, tmp_path):
    with pytest.raises(GridImportError, match="与第 1 个要素重复"):
        import_grid_geojson(write(tmp_path, collection(feature(codes[0]), feature(codes[0]))))


def test_every_problem_is_listed(tiny_grid, codes, tmp_path):
    data = collection(_bad(codes[0], community_code="430299001999"), _bad(codes[1], geometry=BOWTIE))
    with pytest.raises(GridImportError) as info:
        import_grid_geojson(write(tmp_path, data))
    assert len(info.value.errors) == 2  # unknown community (its prefix check skipped); bowtie
    assert "第 1 个要素" in info.value.errors[0] and "第 2 个要素" in info.value.errors[-1]


def test_missing_file(tmp_path, db):
    with pytest.raises(GridImportError, match="无法读取文件"):
        import_grid_geojson(tmp_path / "nope.geojson")


def test_management_command(tiny_grid, codes, tmp_path):
    out = io.StringIO()
    call_command("import_grid", str(write(tmp_path, collection(feature(codes[0])))), "--dry-run", stdout=out)
    assert "试导入" in out.getvalue() and not GridCell.objects.filter(code=codes[0]).exists()
    call_command("import_grid", str(write(tmp_path, collection(feature(codes[0])))), stdout=out)
    assert GridCell.objects.filter(code=codes[0]).exists()
    with pytest.raises(CommandError, match="未保存任何数据"):
        call_command("import_grid", str(write(tmp_path, "{", name="bad.geojson")))


def test_locate_command(tiny_grid):
    out = io.StringIO()
    call_command("locate", "29.05", "112.02", stdout=out)
    assert json.loads(out.getvalue())["cell"]["code"] == tiny_grid.west_cell.code
    with pytest.raises(CommandError, match="不在本市管辖范围内"):
        call_command("locate", "39.9", "116.4")
