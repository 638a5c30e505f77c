"""Office pages, the public market grades page (seed §25) and the results workbook."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wenming.core import charts
from wenming.inspections import services
from wenming.inspections.models import Round, RoundStatus


def test_market_page_is_public_and_shows_only_closed_rounds(client, world):
    market = world.point("荷塘农贸市场")
    closed = world.round([market], name="九月测评")
    world.score_all(closed, market, passed=True)  # 100% → A
    services.round_close(round=closed)
    open_round = world.round([market], name="十月测评", start_date=dt.date(2019, 10, 1))
    world.score_all(open_round, market, passed=False)  # 0% → D, but the round is still open
    other = world.point("芦淞农贸市场")

    r = client.get(reverse("inspections:markets"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "九月测评" in body and "十月测评" not in body
    assert "grade-A" in body and "grade-D" not in body
    assert "100.0%" in body and ">0.0%" not in body and "：0.0%" not in body
    assert other.name in body and "暂无已公布的测评结果" in body
    assert "inspector" not in body  # no inspector names on the public page

    services.round_close(round=open_round)
    body = client.get(reverse("inspections:markets")).content.decode()
    assert "十月测评" in body and "grade-D" in body


def test_round_planning_form_creates_a_sampled_round(client, world):
    for i in range(6):
        world.point(f"市场{i}")
    client.force_login(world.office)
    r = client.get(reverse("inspections:round_new"))
    assert r.status_code == 200 and "抽样种子" in r.content.decode()
    data = {
        "name": "2019年第四季度测评", "start_date": "2019-10-08", "end_date": "2019-10-20",
        "inspectors": [world.inspector.pk, world.inspector2.pk], "point_types": [world.market_type.pk],
        "sample_per_type": 4, "seed": 7,
    }
    r = client.post(reverse("inspections:round_new"), data)
    rnd = Round.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("inspections:round", args=[rnd.pk])
    assert rnd.round_points.count() == 4 and rnd.status == RoundStatus.PLANNED
    assert {rp.inspector for rp in rnd.round_points.all()} == {world.inspector, world.inspector2}
    r = client.post(reverse("inspections:round_start", args=[rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.IN_PROGRESS and rnd.checklists.count() == 1
    # Bad dates are refused in Chinese.
    r = client.post(reverse("inspections:round_new"), {**data, "end_date": "2019-10-01"})
    assert "结束日期不能早于开始日期" in r.content.decode()


def test_inspector_sees_own_rounds_and_points_only(client, world):
    a, b = world.point("市场甲"), world.point("市场乙")
    rnd = world.round([a, b])
    mine = rnd.round_points.get(inspector=world.inspector).point
    client.force_login(world.inspector)
    body = client.get(reverse("inspections:round", args=[rnd.pk])).content.decode()
    assert mine.name in body
    other = ({a, b} - {mine}).pop()
    assert other.name not in body
    assert rnd.name in client.get(reverse("inspections:rounds")).content.decode()
    client.force_login(world.outsider)
    assert rnd.name not in client.get(reverse("inspections:rounds")).content.decode()
    assert client.get(reverse("inspections:results", args=[rnd.pk])).status_code == 403
    assert client.get(reverse("inspections:round_new")).status_code == 403


def test_results_page_tables_and_workbook(client, world):
    market = world.point("荷塘农贸市场")
    rnd = world.round([market])
    items = list(rnd.checklist_for(market.point_type_id).items.all())
    services.item_score_save(round=rnd, point=market, item=items[0], actor=world.inspector, passed=False,
                             score="2", note="=HYPERLINK(\"http://x\")")
    services.item_score_save(round=rnd, point=market, item=items[1], actor=world.inspector, passed=True)
    client.force_login(world.office)
    body = client.get(reverse("inspections:results", args=[rnd.pk])).content.decode()
    assert "75.0%" in body  # (2 + 4) / (4 + 4)
    for label in ("按点位", "按点位类型", "按街道", "按区县", "按责任单位"):
        assert label in body
    r = client.get(reverse("inspections:results_xlsx", args=[rnd.pk]))
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "按点位"
    assert list(wb["按点位"].iter_rows(min_row=2, values_only=True))[0][:4] == ("荷塘农贸市场（农贸市场）", 6, 8, 75)
    detail = list(wb["条目明细"].iter_rows(min_row=2, values_only=True))
    assert detail[0][7] == "=HYPERLINK(\"http://x\")"
    assert wb["条目明细"]["H2"].data_type == "s"  # text, not a formula


def test_trend_chart_is_svg(client, world):
    try:
        charts.cjk_font()
    except charts.NoCJKFontError:
        pytest.skip("未安装中文字体")
    market = world.point("荷塘农贸市场")
    rnd = world.round([market])
    world.score_all(rnd, market, passed=True)
    client.force_login(world.office)
    r = client.get(reverse("inspections:trend_chart"))
    assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml" and b"<svg" in r.content
    assert "各轮次得分率" in r.content.decode()


def test_points_page_has_the_map_without_a_tile_server(client, world, settings):
    world.point("荷塘农贸市场")
    client.force_login(world.office)
    body = client.get(reverse("inspections:points")).content.decode()
    assert "leaflet/leaflet.js" in body and "荷塘农贸市场" in body
    assert "tile.openstreetmap" not in body and '"tiles": []' in body
