"""Tracking by code (issue #3 §3, public side): a public-safe timeline, the 回访 callback through the workflow, the
退理回单, photos only for whoever holds the code, and a clear Chinese 404 for an unknown code."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wenming.cases.models import Case, CaseAttachment, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, AttachmentIn, Status, transition
from wenming.core import clock

from .test_intake_support import *  # noqa: F403 - fixtures: city_world, city
from .test_intake_support import png_bytes, png_upload


def reported(city, **extra) -> Case:
    fields = dict(category=city.category, description="人行道上有流动摊贩占道经营", lat=city.lat, lng=city.lng,
                  address="建设路口", channel=Channel.WEB, reporter_name="张三", reporter_phone="13812345678",
                  photos=[png_upload("before.png")])
    fields.update(extra)
    return case_report(**fields)


def detail(client, case):
    return client.get(reverse("portal:track_detail", args=[case.tracking_code]))


def test_lookup_form_redirects_and_forgives_case_and_spaces(client, city):
    case = reported(city)
    assert client.get(reverse("portal:track")).status_code == 200
    typed = " " + case.tracking_code.lower()[:6] + " " + case.tracking_code.lower()[6:]
    response = client.get(reverse("portal:track"), {"code": typed})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).context["case"] == case


def test_unknown_code_is_a_chinese_404(client, city):
    for code in ("WM20190101ZZZZZZ", "<script>x", "1" * 60):
        response = client.get("/track/" + quote(code) + "/")
        html = response.content.decode()
        assert response.status_code == 404
        assert "未找到查询码为" in html and "<script>x" not in html
    assert client.get(reverse("portal:track"), {"code": "WM/2019-01"}).status_code == 302
    assert client.get(reverse("portal:track"), {"code": "//"}).status_code == 404
    assert client.get(reverse("portal:receipt", args=["WMNOPE"])).status_code == 404
    assert client.post(reverse("portal:track_callback", args=["WMNOPE"]), {"satisfaction": 5}).status_code == 404


def test_timeline_is_public_safe(client, city):
    case = reported(city)
    transition(case, Action.ACCEPT, actor=city.office)
    transition(case, Action.DISPATCH, actor=city.office)
    handler = city.unit_user_for(case)
    transition(case, Action.SIGN, actor=handler)
    transition(case, Action.REQUEST_EXTENSION, actor=handler, note="内部：人手不足需协调", data={"working_days": 2})
    transition(case, Action.SUPERVISE, actor=city.office, note="内部督办意见")
    html = detail(client, case).content.decode()
    assert "处置中" in html and "已派遣" in html and "立案" in html and "签收" in html
    assert "处置时限" in html and f"{case.due_at.astimezone(clock.now().tzinfo):%Y年%-m月%-d日}" in html
    assert "138****5678" in html and "13812345678" not in html
    for private in ("王科长", "赵处长", "office-staff", "unit-handler", "内部：人手不足", "内部督办意见", "申请延期", "督办"):
        assert private not in html, private
    assert case.assigned_unit.name in html  # the responsible unit is public accountability, not personal data


def test_callback_after_closing_records_the_rating(client, city):
    case = city.close(reported(city))
    page = detail(client, case).content.decode()
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert level in page
    assert "回访评价" in page
    response = client.post(reverse("portal:track_callback", args=[case.tracking_code]),
                           {"satisfaction": "4", "comment": "处理及时", "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == 4
    event = case.events.get(action=Action.CALLBACK)
    assert event.actor is None and event.actor_role == "reporter" and event.note == "处理及时"
    html = client.get(response["Location"]).content.decode()
    assert "感谢您的评价：满意" in html and "您的评价" in html and "回访评价" not in html
    again = client.post(reverse("portal:track_callback", args=[case.tracking_code]), {"satisfaction": "5"})
    assert again.status_code == 400 and "本次结案已回访" in again.content.decode()


def test_dissatisfied_callback_reopens_the_case(client, city):
    case = city.close(reported(city))
    client.post(reverse("portal:track_callback", args=[case.tracking_code]),
                {"satisfaction": "2", "version": case.version})
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.reopen_count == 1 and case.satisfaction is None
    html = detail(client, case).content.decode()
    assert "处置中" in html and "已转回责任单位重办" in html and "回访评价" not in html


def test_callback_is_refused_before_closing_and_without_a_level(client, city):
    case = reported(city)
    assert "回访评价" not in detail(client, case).content.decode()
    response = client.post(reverse("portal:track_callback", args=[case.tracking_code]), {"satisfaction": "5"})
    assert response.status_code == 400 and "不能执行「回访」" in response.content.decode()
    city.close(case)
    response = client.post(reverse("portal:track_callback", args=[case.tracking_code]), {"satisfaction": "9"})
    assert response.status_code == 400 and "请选择满意度" in response.content.decode()
    case.refresh_from_db()
    assert case.satisfaction is None and not case.events.filter(action=Action.CALLBACK).exists()


def test_stale_callback_form_is_told_to_refresh(client, city):
    case = city.close(reported(city))
    response = client.post(reverse("portal:track_callback", args=[case.tracking_code]),
                           {"satisfaction": "5", "version": case.version - 1})
    assert response.status_code == 400 and "请刷新后重试" in response.content.decode()


def test_rejection_slip_gives_the_reason(client, city):
    case = reported(city)
    assert client.get(reverse("portal:rejection", args=[case.tracking_code])).status_code == 302
    transition(case, Action.REJECT, actor=city.office, note="该问题属于私人住宅内部事务，不属于受理范围")
    html = detail(client, case).content.decode()
    assert "不予立案" in html and "退理回单" in html
    slip = client.get(reverse("portal:rejection", args=[case.tracking_code])).content.decode()
    assert "退理回单" in slip and "不属于受理范围" in slip and case.tracking_code in slip and "王科长" not in slip


def test_photos_are_served_only_with_the_code(client, city):
    case = reported(city)
    before = CaseAttachment.objects.get(event__case=case)
    url = reverse("portal:track_photo", args=[case.tracking_code, before.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()
    other = reported(city, photos=[], description="另一处占道经营问题", lat=None, lng=None)
    assert client.get(reverse("portal:track_photo", args=[other.tracking_code, before.pk])).status_code == 404
    assert client.get(reverse("portal:exposure_photo", args=[before.pk])).status_code == 404  # not exposed
    assert client.get(f"/media/{before.file.name}").status_code == 404  # uploads are not served as media


def test_after_photos_show_once_closed_and_evidence_stays_private(client, city):
    case = reported(city)
    transition(case, Action.ACCEPT, actor=city.office)
    transition(case, Action.DISPATCH, actor=city.office)
    handler = city.unit_user_for(case)
    transition(case, Action.SIGN, actor=handler)
    evidence = SimpleUploadedFile("id-card.png", png_bytes(color=(1, 2, 3)))
    transition(case, Action.FEED_BACK, actor=handler, note="已整改",
               attachments=[png_upload("after.png"), AttachmentIn(evidence, kind="evidence")])
    after = CaseAttachment.objects.get(kind="after")
    secret = CaseAttachment.objects.get(kind="evidence")
    assert "处置后的照片" not in detail(client, case).content.decode()
    transition(case, Action.VERIFY_PASS, actor=city.office)
    html = detail(client, case).content.decode()
    assert "处置后的照片" in html and reverse("portal:track_photo", args=[case.tracking_code, after.pk]) in html
    assert client.get(reverse("portal:track_photo", args=[case.tracking_code, secret.pk])).status_code == 404


def test_merged_case_shows_the_original_progress_without_its_code(client, city):
    original = reported(city, reporter_phone="13900001111")
    transition(original, Action.ACCEPT, actor=city.office)
    transition(original, Action.DISPATCH, actor=city.office)
    duplicate = reported(city, reporter_phone="")
    transition(duplicate, Action.MERGE, actor=city.office, data={"into": original.pk})
    html = detail(client, duplicate).content.decode()
    assert "已合并" in html and "合并办理" in html and "已派遣" in html
    assert original.tracking_code not in html and "1111" not in html


def test_overdue_case_says_so(client, city):
    case = reported(city)
    transition(case, Action.ACCEPT, actor=city.office)
    transition(case, Action.DISPATCH, actor=city.office)
    with clock.frozen(case.due_at + dt.timedelta(days=3)):
        assert "已超期" in detail(client, case).content.decode()


def test_dates_follow_the_language(client, city, settings):
    with clock.frozen("2019-10-15 10:30"):
        case = reported(city)
        transition(case, Action.ACCEPT, actor=city.office)
        transition(case, Action.DISPATCH, actor=city.office)
        refused = reported(city, description="私人住宅内部的问题", photos=[])
        transition(refused, Action.REJECT, actor=city.office, note="不属于受理范围")
    receipt = reverse("portal:receipt", args=[case.tracking_code])
    slip = reverse("portal:rejection", args=[refused.tracking_code])

    # Chinese: as the receipts have always looked; the timeline keeps its compact form.
    html = client.get(receipt).content.decode()
    assert "2019年10月15日 10:30" in html and "<br>2019年10月15日</p>" in html
    html = detail(client, case).content.decode()
    assert "2019年10月15日 10:30" in html and "2019-10-15 10:30" in html
    assert "2019年10月15日 10:30" in client.get(slip).content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(receipt).content.decode()
    assert "Oct. 15, 2019, 10:30 a.m." in html and "<br>Oct. 15, 2019</p>" in html
    assert "年" not in html
    html = detail(client, case).content.decode()
    assert "Oct. 15, 2019, 10:30 a.m." in html and "10/15/2019 10:30 a.m." in html  # case facts; timeline
    assert "年" not in html and "2019-10-15" not in html
    html = client.get(slip).content.decode()
    assert "Oct. 15, 2019, 10:30 a.m." in html and "年" not in html
