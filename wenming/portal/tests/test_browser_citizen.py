"""The citizen journey in real Chromium: report with a pin, a category and a photo; get the tracking code; follow
the case through the loop; rate it 满意 (issue #3 §2–§3)."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from wenming.cases.models import Case, Category
from wenming.cases.workflow import Action

from .test_intake_support import City, build_city_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_reports_tracks_and_rates(page, tmp_path):
    build_city_world()
    city = City()
    photo = tmp_path / "street.png"
    Image.new("RGB", (64, 48), (180, 40, 40)).save(photo)

    page.goto("/report/")
    page.wait_for_selector("#report-map .leaflet-container, #report-map.leaflet-container")
    page.locator("#report-map").click()  # a click on the map fills the coordinates
    assert page.locator("[name=lat]").input_value() and page.locator("[name=lng]").input_value()
    page.fill("[name=lat]", str(city.lat))  # then the exact point inside a demo grid cell
    page.fill("[name=lng]", str(city.lng))

    page.fill("#category-search", "占道")
    category = Category.objects.get(pk=city.category.pk)
    assert page.locator("[name=category] option", has_text="占道经营").count() >= 1
    page.select_option("[name=category]", str(category.pk))
    page.fill("[name=description]", "人行道上有流动摊贩占道经营，行人只能走机动车道")
    page.set_input_files("[name=photos]", str(photo))
    page.get_by_role("button", name="提交").click()

    page.wait_for_url(re.compile(r"/report/receipt/WM\w+/$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"WM\d{8}[0-9A-Z]{6}", code)
    assert "受理回单" in page.content()
    case = Case.objects.get(tracking_code=code)
    assert case.grid_cell_id == city.cell.pk and case.events.get().attachments.count() == 1

    city.close(case)  # accept, dispatch, sign, feed_back, verify_pass through workflow.transition

    page.goto(f"/track/{code}/")
    assert page.locator("#case-status").inner_text() == "已结案"
    timeline = page.locator(".timeline").inner_text()
    for step in ("上报", "立案", "派遣", "签收", "处置反馈", "核查通过"):
        assert step in timeline
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("#rating")
    assert page.locator("#rating").inner_text() == "满意"
    assert "感谢您的评价" in page.content()
    case.refresh_from_db()
    assert case.satisfaction == 4 and case.events.filter(action=Action.CALLBACK).count() == 1
