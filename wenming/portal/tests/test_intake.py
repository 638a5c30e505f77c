"""The public report page, the hotline intake and the quick report (issue #3 §2): what a reporter sees and what is
stored — nothing at all on any refusal, with the typed text kept."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wenming.cases.models import Case, CaseAttachment, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, Status

from .test_intake_support import *  # noqa: F403 - fixtures: city_world, city
from .test_intake_support import OUTSIDE_CITY, png_bytes, png_upload

REPORT = reverse("portal:report")


def post(client, data, files=(), **extra):
    payload = dict(data)
    if files:
        payload["photos"] = list(files)
    return client.post(REPORT, payload, **extra)


def test_report_page_offers_map_categories_and_a_fresh_key(client, city):
    page = client.get(REPORT)
    html = page.content.decode()
    assert page.status_code == 200
    assert "我要反映问题" in html and 'id="report-map"' in html
    assert "/static/leaflet/leaflet.js" in html and "unpkg" not in html and "cdn" not in html.lower()
    assert "占道经营" in html and 'id="category-search"' in html
    assert 'name="idempotency_key"' in html
    first = page.context["form"].initial["idempotency_key"]
    assert first != client.get(REPORT).context["form"].initial["idempotency_key"]


def test_good_report_creates_case_and_shows_receipt(client, city):
    response = post(client, city.report_data(), [png_upload("a.png"), png_upload("b.png")])
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:receipt", args=[case.tracking_code])
    assert case.status == Status.REPORTED and case.channel == Channel.WEB
    assert (case.grid_cell, case.street, case.district) == (city.cell, city.street, city.district)
    assert case.reporter_phone == "13812345678" and case.idempotency_key == "portal:test-key-0123456789abcdef"
    event = case.events.get()
    assert event.action == Action.REPORT and event.public
    assert [a.kind for a in CaseAttachment.objects.filter(event=event)] == ["before", "before"]

    receipt = client.get(response["Location"]).content.decode()
    assert "受理回单" in receipt and case.tracking_code in receipt
    assert "占道经营" in receipt and "138****5678" in receipt and "13812345678" not in receipt
    assert "工作日" in receipt and "处置时限" in receipt  # what happens next, with the limits
    assert "打印回单" in receipt


def test_phone_on_mobile_is_h5_channel_and_anonymous_is_allowed(client, city):
    data = city.report_data(reporter_name="", reporter_phone="")
    post(client, data, HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148")
    case = Case.objects.get()
    assert case.channel == Channel.H5 and case.reporter_phone == "" and case.reporter_name == ""
    assert "未留电话" in client.get(reverse("portal:receipt", args=[case.tracking_code])).content.decode()


def test_address_alone_is_enough(client, city):
    response = post(client, city.report_data(lat="", lng="", address="荷塘区新华西路12号门口"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.lat is None and case.address == "荷塘区新华西路12号门口"


def _text_file():
    return SimpleUploadedFile("photo.png", b"<?php echo 'not an image'; ?>", content_type="image/png")


@pytest.mark.parametrize(
    "change, files, message",
    [
        ({}, "text", "不是有效的图片"),
        ({}, "ten", "最多上传9张照片"),
        ({"lat": OUTSIDE_CITY[0], "lng": OUTSIDE_CITY[1]}, "one", "该位置不在本市管辖范围内"),
        ({"lat": "95.5", "lng": "113.1"}, "one", "坐标无效"),
        ({"lat": "abc", "lng": "113.1"}, "", "坐标无效"),
        ({"lat": "27.85", "lng": ""}, "", "请同时填写纬度和经度"),
        ({"lat": "", "lng": "", "address": ""}, "", "请在地图上选择位置或填写地址"),
        ({"description": ""}, "one", "请描述问题"),
        ({"description": "脏"}, "", "至少5个字"),
        ({"reporter_phone": "12345678901"}, "one", "请填写正确的手机号"),
        ({"reporter_phone": "1381234567"}, "", "请填写正确的手机号"),
        ({"category": "999999"}, "", "请选择有效的问题类别"),
    ],
)
def test_bad_input_stores_nothing_and_keeps_the_typed_text(client, city, change, files, message):
    upload = {"text": [_text_file()], "ten": [png_upload(f"p{i}.png") for i in range(10)],
              "one": [png_upload()], "": []}[files]
    data = city.report_data(**change)
    response = post(client, data, upload)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()
    assert "您填写的内容已保留" in html
    for field in ("description", "address", "reporter_name"):
        if data[field]:
            assert data[field] in html, field
    if upload:
        assert "请重新选择照片" in html
    # The same key is kept: a corrected resubmit is still the one report.
    assert response.context["form"]["idempotency_key"].value() == data["idempotency_key"]


def test_oversize_photo_is_refused_in_chinese(client, city, settings):
    settings.WENMING_MAX_EVIDENCE_BYTES = 100
    response = post(client, city.report_data(), [SimpleUploadedFile("big.png", png_bytes((200, 200)))])
    assert "超过 0 MB" in response.content.decode() or "请压缩后重新选择" in response.content.decode()
    assert not Case.objects.exists()


def test_landline_is_a_valid_phone(client, city):
    assert post(client, city.report_data(reporter_phone="0731-22334455")).status_code == 302
    assert Case.objects.get().reporter_phone == "0731-22334455"


def test_double_submission_makes_one_case(client, city):
    data = city.report_data()
    first = post(client, data, [png_upload()])
    second = post(client, data, [png_upload()])
    third = post(client, data)  # a retry whose photos were not chosen again
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"] == third["Location"]
    assert CaseAttachment.objects.count() == 1


def test_a_forged_key_cannot_reach_another_door_s_case(client, city):
    case_report(category=city.category, description="热线来电反映占道经营", address="某路", channel=Channel.HOTLINE,
                idempotency_key="intake:test-key-0123456789abcdef")
    response = post(client, city.report_data())
    assert response.status_code == 302
    assert Case.objects.count() == 2


def test_script_is_stored_as_typed_and_shown_escaped(client, city):
    text = '<script>alert("x")</script> 路边有人烧烤'
    post(client, city.report_data(description=text, address="<b>路口</b>"))
    case = Case.objects.get()
    assert case.description == text
    for url in (reverse("portal:receipt", args=[case.tracking_code]),
                reverse("portal:track_detail", args=[case.tracking_code])):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
        assert "<b>路口</b>" not in html and "&lt;b&gt;路口&lt;/b&gt;" in html
    # On a refused form too.
    html = post(client, city.report_data(description=text, reporter_phone="1", idempotency_key="k" * 20)).content
    assert b"<script>alert" not in html and b"&lt;script&gt;" in html


# ---------------------------------------------------------------------------------------------------------------
# Duplicates


def _original(city):
    return case_report(category=city.category, description="路口长期有占道经营", lat=city.lat, lng=city.lng,
                       channel=Channel.WEB, reporter_phone="13900001111")


def test_duplicates_are_offered_before_saving(client, city):
    original = _original(city)
    response = post(client, city.report_data(), [png_upload()])
    html = response.content.decode()
    assert response.status_code == 200
    assert "附近已有同类问题" in html and "这是同一个问题" in html and "不是，仍然提交" in html
    assert "请重新选择照片" in html
    assert original.tracking_code not in html and "13900001111" not in html  # the other report stays private
    assert Case.objects.count() == 1


def test_submit_anyway_creates_an_ordinary_case(client, city):
    _original(city)
    response = post(client, city.report_data(duplicate_decision="new"))
    assert response.status_code == 302
    assert Case.objects.count() == 2 and Case.objects.filter(title="").count() == 2


def test_same_problem_creates_the_case_and_names_the_original_for_the_office(client, city):
    original = _original(city)
    response = post(client, city.report_data(duplicate_decision="same", duplicate_of=str(original.pk)))
    case = Case.objects.exclude(pk=original.pk).get()
    assert original.tracking_code in case.title and case.status == Status.REPORTED
    receipt = client.get(response["Location"]).content.decode()
    assert "合并办理" in receipt and original.tracking_code not in receipt


def test_duplicate_fragment_for_the_page_script(client, city):
    url = reverse("portal:report_duplicates")
    params = {"lat": city.lat, "lng": city.lng, "category": city.category.pk}
    assert "附近已有同类问题" not in client.get(url, params).content.decode()
    _original(city)
    assert "附近已有同类问题" in client.get(url, params).content.decode()
    assert client.get(url, {"lat": "x"}).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# Staff intake (hotline) and quick report


def test_staff_intake_needs_the_office(client, city):
    url = reverse("cases:intake")
    assert client.get(url).status_code == 302  # to login
    client.force_login(city.inspector)
    assert client.get(url).status_code == 403


def test_hotline_intake_records_channel_caller_and_operator(client, city):
    client.force_login(city.office)
    page = client.get(reverse("cases:intake")).content.decode()
    assert "来电人姓名" in page and "回访电话" in page
    data = city.report_data(channel="hotline", reporter_name="刘女士", reporter_phone="0731 2233 4455")
    response = client.post(reverse("cases:intake"), {**data, "photos": [png_upload()]})
    case = Case.objects.get()
    assert response["Location"] == reverse("portal:receipt", args=[case.tracking_code])
    assert (case.channel, case.reporter_name, case.reporter_phone) == ("hotline", "刘女士", "073122334455")
    assert case.events.get().actor == city.office


def test_hotline_intake_refusal_keeps_the_call(client, city):
    client.force_login(city.office)
    data = city.report_data(channel="hotline", reporter_phone="555")
    html = client.post(reverse("cases:intake"), data).content.decode()
    assert "请填写正确的手机号" in html and data["description"] in html
    assert not Case.objects.exists()


def test_quick_report_for_inspectors(client, city):
    url = reverse("portal:report_quick")
    assert client.get(url).status_code == 302
    client.force_login(city.inspector)
    assert 'value="inspector" selected' in client.get(url).content.decode()
    data = city.report_data(channel="deputy")
    del data["reporter_name"], data["reporter_phone"]
    response = client.post(url, data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.channel, case.reporter_user, case.reporter_name) == ("deputy", city.inspector, "李督查")
    assert case.idempotency_key.startswith("quick:")


def test_quick_report_refuses_citizen_accounts(client, city):
    from wenming.accounts.models import User

    client.force_login(User.objects.create_user("citizen", password="x" * 12))
    assert client.get(reverse("portal:report_quick")).status_code == 403
