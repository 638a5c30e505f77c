"""The exposure board (曝光台, seed §12/§36) and the public home section: only exposed cases, personal data masked."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from wenming.accounts.models import Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.cases.models import CaseAttachment, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, transition
from wenming.core import clock
from wenming.portal.views import EXPOSURE_PAGE_SIZE, mask_personal

from .test_intake_support import *  # noqa: F403 - fixtures: city_world, city
from .test_intake_support import png_upload


def dispatched(city, description="路口占道经营严重，联系人13812345678", **extra):
    case = case_report(category=city.category, description=description, lat=city.lat, lng=city.lng,
                       address="建设路88号3栋201", channel=Channel.WEB, reporter_name="张三",
                       reporter_phone="13912345678", photos=[png_upload()], **extra)
    transition(case, Action.ACCEPT, actor=city.office)
    transition(case, Action.DISPATCH, actor=city.office)
    return case


def test_board_shows_only_exposed_cases_masked(client, city):
    exposed = dispatched(city)
    quiet = dispatched(city, description="另一个没有曝光的问题描述")
    transition(exposed, Action.EXPOSE, actor=city.office)
    with clock.frozen(exposed.due_at + dt.timedelta(days=2, hours=1)):
        html = client.get(reverse("portal:exposure")).content.decode()
    assert "曝光台" in html and "占道经营" in html
    assert city.district.name in html and city.street.name in html
    assert "138****5678" in html and "13812345678" not in html
    for private in ("张三", "13912345678", "建设路88号", exposed.tracking_code, quiet.description):
        assert private not in html, private
    assert "已超期 3 天" in html
    photo = CaseAttachment.objects.get(event__case=exposed)
    url = reverse("portal:exposure_photo", args=[photo.pk])
    assert url in html
    assert client.get(url).status_code == 200
    hidden = CaseAttachment.objects.get(event__case=quiet)
    assert client.get(reverse("portal:exposure_photo", args=[hidden.pk])).status_code == 404


def test_board_is_newest_first_and_paginated(client, city):
    cases = []
    for i in range(EXPOSURE_PAGE_SIZE + 2):
        case = dispatched(city, description=f"第{i:02d}号曝光问题描述")
        with clock.frozen(clock.now() + dt.timedelta(minutes=i)):
            transition(case, Action.EXPOSE, actor=city.office)
        cases.append(case)
    first = client.get(reverse("portal:exposure")).content.decode()
    assert "第21号曝光问题" in first and "第00号曝光问题" not in first
    assert first.index("第21号") < first.index("第20号")
    assert "第 1 / 2 页" in first
    second = client.get(reverse("portal:exposure"), {"page": 2}).content.decode()
    assert "第00号曝光问题" in second and "第01号曝光问题" in second
    assert client.get(reverse("portal:exposure"), {"page": "x"}).status_code == 200


def test_mask_personal():
    assert mask_personal("电话13812345678，身份证11010519491231002X，座机0731-22334455") == (
        "电话138****5678，身份证110105********002X，座机0731-****4455"
    )
    assert mask_personal("2019年10月1日的问题") == "2019年10月1日的问题"


def test_home_links_the_public_pages(client, city):
    html = client.get(reverse("portal:home")).content.decode()
    for name in ("portal:report", "portal:track", "portal:exposure"):
        assert reverse(name) in html
    assert "我要反映问题" in html and "查询办理进度" in html and "曝光台" in html


def test_home_still_sends_staff_to_their_pages(client, city):
    client.force_login(city.office)
    assert client.get(reverse("portal:home"))["Location"] == reverse("plans:board")
    unit = OrgUnit.objects.create(name="测试责任单位", kind=OrgUnitKind.CITY_DEPARTMENT)
    unit_user = User.objects.create_user("u1", password="x" * 12)
    Membership.objects.create(user=unit_user, org_unit=unit, role=Role.UNIT)
    client.force_login(unit_user)
    assert client.get(reverse("portal:home"))["Location"] == reverse("plans:unit", kwargs={"pk": unit.pk})
