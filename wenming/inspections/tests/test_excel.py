"""Excel import/export of points: every row checked first, all or nothing, errors name the row."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from wenming.inspections.excel import HEADERS, ImportRefused, import_points
from wenming.inspections.models import InspectionPoint


def workbook(rows, headers=HEADERS) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


GOOD = [
    ["农贸市场", "荷塘农贸市场", "荷塘区新华路1号", 27.86, 113.17, "市商务和粮食局", "是"],
    ["室外公共厕所", "神农公园东门公厕", "", "27.82", "113.10", "", ""],
    ["集贸市场", "白关镇集贸市场", "白关镇", 27.79, 113.22, "", "否"],  # the manual's name for 农贸市场
]


def test_good_file_imports_every_row(world):
    result = import_points(workbook(GOOD))
    assert (result.created, result.updated) == (3, 0)
    p = InspectionPoint.objects.get(name="荷塘农贸市场")
    assert p.point_type.name == "农贸市场" and p.responsible_unit == world.market_unit and p.is_active
    assert InspectionPoint.objects.get(name="白关镇集贸市场").is_active is False
    # Importing again updates, never duplicates.
    result = import_points(workbook(GOOD))
    assert (result.created, result.updated) == (0, 3)
    assert InspectionPoint.objects.count() == 3


def test_bad_rows_refuse_the_whole_file_and_name_each_row(world):
    rows = GOOD + [
        ["公交站台", "某站", "", 27.8, 113.1, "", ""],
        ["农贸市场", "", "", 27.8, 113.1, "", ""],
        ["农贸市场", "坏坐标市场", "", "北纬27", 200, "", ""],
        ["农贸市场", "荷塘农贸市场", "", 27.8, 113.1, "不存在的局", "也许"],
    ]
    with pytest.raises(ImportRefused) as info:
        import_points(workbook(rows))
    errors = info.value.errors
    assert errors[0].startswith("第5行：") and "点位类型「公交站台」不存在" in errors[0]
    assert errors[1].startswith("第6行：") and "点位名称不能为空" in errors[1]
    assert errors[2].startswith("第7行：") and "纬度" in errors[2] and "经度" in errors[2]
    assert errors[3].startswith("第8行：") and "与第2行重复" in errors[3] and "不存在的局" in errors[3]
    assert "启用" in errors[3]
    assert not InspectionPoint.objects.exists()


def test_missing_header_and_not_a_workbook(world):
    with pytest.raises(ImportRefused, match="缺少表头「纬度、经度」"):
        import_points(workbook([], headers=["点位类型", "点位名称", "地址"]))
    with pytest.raises(ImportRefused, match="不是有效的 Excel"):
        import_points(io.BytesIO(b"name,lat\n"))


def test_dry_run_saves_nothing(world):
    result = import_points(workbook(GOOD), dry_run=True)
    assert result.created == 3 and result.dry_run
    assert not InspectionPoint.objects.exists()


def test_import_command(world, tmp_path, capsys):
    path = tmp_path / "points.xlsx"
    path.write_bytes(workbook(GOOD).getvalue())
    call_command("import_points", str(path), "--dry-run")
    assert "校验通过" in capsys.readouterr().out and not InspectionPoint.objects.exists()
    call_command("import_points", str(path))
    assert InspectionPoint.objects.count() == 3
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([["农贸市场", "x", "", 999, 1, "", ""]]).getvalue())
    with pytest.raises(CommandError, match="第2行"):
        call_command("import_points", str(bad))


def test_import_and_export_pages(client, world):
    client.force_login(world.office)
    upload = workbook(GOOD)
    upload.name = "points.xlsx"
    r = client.post(reverse("inspections:points_import"), {"file": upload})
    assert r.status_code == 302 and InspectionPoint.objects.count() == 3
    bad = workbook([["农贸市场", "", "", 27.8, 113.1, "", ""]])
    bad.name = "bad.xlsx"
    r = client.post(reverse("inspections:points_import"), {"file": bad})
    assert r.status_code == 400 and "第2行" in r.content.decode()
    r = client.get(reverse("inspections:points_export"))
    ws = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[1]][:7] == HEADERS
    assert {row[1] for row in ws.iter_rows(min_row=2, values_only=True)} == {g[1] for g in GOOD}
    client.force_login(world.inspector)
    assert client.get(reverse("inspections:points_export")).status_code == 403
