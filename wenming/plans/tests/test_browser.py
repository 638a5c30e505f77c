"""The main journey in Chromium: a unit user logs in, sees its list, reports progress with a photo, sees the
status change."""

from __future__ import annotations

import pytest

from wenming.core import clock
from wenming.plans.models import Evidence, ProgressReport
from wenming.plans.tests.factories import PASSWORD
from wenming.plans.tests.test_progress import png_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unit_user_reports_progress_and_sees_status_change(world, page):
    target = world.toilets
    with clock.frozen("2019-06-20"):  # the live server thread shares the frozen clock
        page.goto("/accounts/login/")
        page.fill("#id_username", "chengguan")
        page.fill("#id_password", PASSWORD)
        page.click("form.login button[type=submit]")

        page.wait_for_selector("h1:has-text('市城管局')")
        assert "任务清单" in page.inner_text("h1")
        row = page.locator(f"#target-{target.pk}")
        assert row.locator("strong").inner_text() == "新建改造公共厕所"
        assert row.locator(".status").inner_text() == "未报送"

        row.locator("a:has-text('报送进度')").click()  # htmx loads the form under the row
        form = page.locator(f"#form-{target.pk} form.report-form")
        form.wait_for()
        form.locator("select[name=period_start]").select_option("2019-06-01")
        form.locator("input[name=value]").fill("230")
        form.locator("textarea[name=note]").fill("230 座公厕全部建成并验收")
        form.locator("input[type=file]").set_input_files(
            {"name": "现场照片.png", "mimeType": "image/png", "buffer": png_bytes((64, 48))}
        )
        form.locator("button[type=submit]").click()

        page.wait_for_selector(".messages li.success")
        row = page.locator(f"#target-{target.pk}")
        assert row.locator(".status").inner_text() == "已达标"
        assert page.locator("text=现场照片.png").count() == 1

    report = ProgressReport.objects.get(target=target)
    assert report.value == 230 and report.org_unit == world.chengguan
    assert Evidence.objects.get(report=report).content_type == "image/png"
