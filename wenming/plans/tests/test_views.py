"""Pages by role: the public plan page, a unit's and a leader's list, reporting, evidence, the office board."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from wenming.core import clock
from wenming.plans import status as st
from wenming.plans.models import ProgressReport
from wenming.plans.services import progress_report_submit
from wenming.plans.tests.factories import ProgressReportFactory
from wenming.plans.tests.test_progress import PDF, png_bytes, upload

TODAY = "2019-06-20"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(TODAY):
        yield


def login(client, user):
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def test_overview_redirects_to_default_plan(client, world):
    assert client.get(reverse("plans:overview")).url == reverse("plans:detail", args=[world.plan.pk])


def test_plan_page_shows_sections_measures_responsibility_targets_and_summary(client, world):
    ProgressReportFactory(target=world.toilets, org_unit=world.chengguan, period_start=dt.date(2019, 6, 1), value=230)
    page = html(client.get(reverse("plans:detail", args=[world.plan.pk])))
    for text in ["二、深入推进十大文明行动", "11. 深化文明城管行动", "谭可敏", "市城管局", "市环保局", "各区政府",
                 "新建改造公共厕所", "建成区绿地率", "42.5%", "不低于 230座", "进度概览"]:
        assert text in page, text
    assert 'class="status status-achieved"' in page
    assert reverse("plans:plan_chart", args=[world.plan.pk, "status"]) in page


def test_plan_charts_are_svg_with_chinese_labels(client, world):
    for kind in ["status", "sections"]:
        response = client.get(reverse("plans:plan_chart", args=[world.plan.pk, kind]))
        assert response["Content-Type"].startswith("image/svg+xml")
        assert "未报送" in html(response)
    assert client.get(reverse("plans:plan_chart", args=[world.plan.pk, "nope"])).status_code == 404


def test_unit_page_needs_login(client, world):
    response = client.get(reverse("plans:unit", args=[world.chengguan.pk]))
    assert response.status_code == 302 and "login" in response.url


def test_logged_in_unit_user_lands_on_own_list(client, world):
    login(client, world.users.chengguan)
    assert client.get("/").url == reverse("plans:unit", args=[world.chengguan.pk])


def test_unit_page_lists_led_measures_targets_and_form(client, world):
    login(client, world.users.chengguan)
    page = html(client.get(reverse("plans:unit", args=[world.chengguan.pk])))
    assert "11. 深化文明城管行动" in page and "牵头" in page
    assert "12. 深化文明交通行动" not in page
    for metric in ["新建改造公共厕所", "建成区绿地率", "出台城管执法工作方案"]:
        assert metric in page
    assert "2020-12-31" in page and "2019-06-30" in page
    assert "报送进度" in page
    assert reverse("plans:report", args=[world.toilets.pk]) in page


def test_member_unit_sees_measure_as_member(client, world):
    login(client, world.users.huanbao)
    page = html(client.get(reverse("plans:unit", args=[world.huanbao.pk])))
    assert "11. 深化文明城管行动" in page and "成员" in page


def test_other_unit_gets_403(client, world):
    login(client, world.users.jiaotong)
    assert client.get(reverse("plans:unit", args=[world.chengguan.pk])).status_code == 403


def test_office_sees_unit_page_and_leader_sees_without_form(client, world):
    login(client, world.users.office)
    assert "报送进度" in html(client.get(reverse("plans:unit", args=[world.chengguan.pk])))
    client.logout()
    login(client, world.users.leader)
    page = html(client.get(reverse("plans:unit", args=[world.chengguan.pk])))
    assert "新建改造公共厕所" in page and "报送进度" not in page


def test_leader_page(client, world):
    login(client, world.users.leader)
    page = html(client.get(reverse("plans:leader", args=[world.tan.pk])))
    assert "谭可敏" in page and "11. 深化文明城管行动" in page and "12. 深化文明交通行动" not in page
    client.logout()
    login(client, world.users.jiaotong)
    assert client.get(reverse("plans:leader", args=[world.tan.pk])).status_code == 403


def test_report_form_fragment_for_htmx(client, world):
    login(client, world.users.chengguan)
    response = client.get(
        reverse("plans:report", args=[world.toilets.pk]) + f"?unit={world.chengguan.pk}", HTTP_HX_REQUEST="true"
    )
    page = html(response)
    assert response.status_code == 200 and "<html" not in page
    assert 'value="2019-06-01"' in page and 'value="2019-07-01"' not in page
    assert "2019年6月" in page


def test_report_form_refused_to_unrelated_unit(client, world):
    login(client, world.users.jiaotong)
    assert client.get(reverse("plans:report", args=[world.toilets.pk])).status_code == 403


def test_post_report_changes_status_and_keeps_file(client, world):
    login(client, world.users.chengguan)
    unit_url = reverse("plans:unit", args=[world.chengguan.pk])
    assert f'id="target-{world.toilets.pk}"' in html(client.get(unit_url))
    response = client.post(
        reverse("plans:report", args=[world.toilets.pk]),
        {
            "org_unit": world.chengguan.pk,
            "period_start": "2019-06-01",
            "value": "230",
            "unit": "座",
            "note": "全部建成",
            "files": [upload("现场.png", png_bytes())],
            "next": unit_url,
        },
    )
    assert response.status_code == 302 and response.url.startswith(unit_url)
    report = ProgressReport.objects.get()
    assert report.value == Decimal(230) and report.evidence.count() == 1
    page = html(client.get(unit_url))
    row = page.split(f'id="target-{world.toilets.pk}"')[1].split("</tr>")[0]
    assert "status-achieved" in row
    assert "现场.png" in page and "全部建成" in page


def test_post_bad_value_shows_chinese_error_and_stores_nothing(client, world):
    login(client, world.users.chengguan)
    response = client.post(
        reverse("plans:report", args=[world.green.pk]),
        {"org_unit": world.chengguan.pk, "period_start": "2019-06-01", "value": "120", "unit": "%"},
    )
    assert response.status_code == 400
    assert "百分比不能超过 100" in html(response)
    assert ProgressReport.objects.count() == 0


def test_post_unknown_unit(client, world):
    login(client, world.users.office)
    response = client.post(
        reverse("plans:report", args=[world.toilets.pk]), {"org_unit": 999999, "period_start": "2019-06-01", "value": "1"}
    )
    assert response.status_code == 400 and "未知单位" in html(response)
    assert ProgressReport.objects.count() == 0


def test_evidence_download_permissions(client, world):
    with clock.frozen(TODAY):
        report = progress_report_submit(
            target=world.toilets,
            org_unit=world.chengguan,
            user=world.users.chengguan,
            period_start=dt.date(2019, 6, 1),
            value="10",
            files=[upload("验收.pdf", PDF)],
        )
    url = reverse("plans:evidence", args=[report.evidence.get().pk])
    assert client.get(url).status_code == 302  # anonymous: to login
    login(client, world.users.chengguan)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    client.logout()
    login(client, world.users.huanbao)
    assert client.get(url).status_code == 403
    client.logout()
    login(client, world.users.office)
    assert client.get(url).status_code == 200


def test_board_is_office_only(client, world):
    assert client.get(reverse("plans:board")).status_code == 302
    for user in [world.users.chengguan, world.users.leader]:
        login(client, user)
        assert client.get(reverse("plans:board")).status_code == 403
        assert client.get(reverse("plans:board_xlsx")).status_code == 403
        client.logout()


def _lagging_world(world):
    # toilets: 10 of 230 by 2019-06 → behind; green: never reported → unreported; milestone: in June not done →
    # on track; yielding (交通): 99% reported → behind.
    ProgressReportFactory(target=world.toilets, org_unit=world.chengguan, period_start=dt.date(2019, 6, 1), value=10)
    ProgressReportFactory(target=world.milestone, org_unit=world.chengguan, period_start=dt.date(2019, 6, 1), value=None)
    ProgressReportFactory(target=world.yielding, org_unit=world.jiaotong, period_start=dt.date(2019, 6, 1), value=61)


def test_board_groups_by_unit_and_leader(client, world):
    _lagging_world(world)
    login(client, world.users.office)
    page = html(client.get(reverse("plans:board")))
    by_unit, by_leader = page.split('id="by-unit"')[1].split('id="by-leader"')
    assert "市城管局" in by_unit and "市交通运输局" in by_unit
    assert "谭可敏" in by_leader and "何剑波" in by_leader
    assert "新建改造公共厕所" in by_unit and "建成区绿地率" in by_unit
    assert "出台城管执法工作方案" not in page  # on track: not on the board
    assert client.get(reverse("plans:board_chart")).status_code == 200


def test_board_excel_matches_database(client, world):
    from openpyxl import load_workbook

    _lagging_world(world)
    login(client, world.users.office)
    response = client.get(reverse("plans:board_xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["按单位", "按领导"]
    rows = list(wb["按单位"].iter_rows(values_only=True))
    assert rows[0][:3] == ("牵头单位", "措施", "目标")
    body = {(r[0], r[2]): r for r in rows[1:]}
    expected = {}
    results = st.statuses_for([world.toilets, world.green, world.milestone, world.yielding], clock.today())
    for t, unit in [(world.toilets, "市城管局"), (world.green, "市城管局"), (world.milestone, "市城管局"),
                    (world.yielding, "市交通运输局")]:
        if results[t.pk].is_lagging:
            expected[(unit, t.metric)] = str(results[t.pk].status.label)
    assert {k: v[6] for k, v in body.items()} == expected
    assert body[("市城管局", "新建改造公共厕所")][7] == 10
    assert body[("市城管局", "新建改造公共厕所")][3] == 230
    leaders = {(r[0], r[2]) for r in list(wb["按领导"].iter_rows(values_only=True))[1:]}
    assert leaders == {("谭可敏", "新建改造公共厕所"), ("谭可敏", "建成区绿地率"), ("何剑波", "公交车让行率")}


def test_admin_edits_targets_and_shows_reports_read_only(client, world):
    from wenming.plans.tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    report = ProgressReportFactory(target=world.toilets, org_unit=world.chengguan, period_start=dt.date(2019, 6, 1))
    login(client, admin_user)
    assert client.get(reverse("admin:plans_target_change", args=[world.toilets.pk])).status_code == 200
    assert "baseline" in html(client.get(reverse("admin:plans_target_changelist")))
    for name in ["plan", "section", "measure", "responsibility"]:
        assert client.get(reverse(f"admin:plans_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:plans_progressreport_changelist")).status_code == 200
    assert client.get(reverse("admin:plans_progressreport_add")).status_code == 403
    page = html(client.get(reverse("admin:plans_progressreport_change", args=[report.pk])))
    assert 'name="value"' not in page  # view only
