"""The exposure board (曝光台, seed §12/§36) and the public home section: only exposed cases, personal data masked."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from wenming.accounts.models import Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.cases.models import Case, CaseAttachment, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, Status, transition
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
    assert re.search(r"已超期\d+个工作日", html) and not re.search(r"超期 ?\d+ ?天", html)  # counts: tests below
    photo = CaseAttachment.objects.get(event__case=exposed)
    url = reverse("portal:exposure_photo", args=[photo.pk])
    assert url in html
    assert client.get(url).status_code == 200
    hidden = CaseAttachment.objects.get(event__case=quiet)
    assert client.get(reverse("portal:exposure_photo", args=[hidden.pk])).status_code == 404


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(settings.TIME_ZONE))


def exposed_case(city, due: dt.datetime, **fields) -> Case:
    """An exposed dispatched case whose handling deadline is `due` (and whatever else `fields` sets)."""
    case = dispatched(city)
    transition(case, Action.EXPOSE, actor=city.office)
    Case.objects.filter(pk=case.pk).update(due_at=due, **fields)
    return case


def board_at(client, moment: dt.datetime) -> str:
    with clock.frozen(moment):
        return client.get(reverse("portal:exposure")).content.decode()


def test_overdue_is_counted_in_working_days_across_national_day(client, city):
    # Due at close of business on Friday 2019-09-27, the last working day before the National Day holiday.
    exposed_case(city, at(2019, 9, 27, 18, 0))
    # 2019 calendar: Sat 9-28 rest; Sun 9-29 调休 working day; Mon 9-30 working; 10-01..10-07 holiday;
    # Tue 10-08 working (open from 08:30). So at 10:00 on 10-08: 9-29, 9-30, 10-08 = 3 (calendar days: 11).
    html = board_at(client, at(2019, 10, 8, 10, 0))
    assert "已超期3个工作日" in html and "已超期11" not in html
    # In the middle of the holiday only 9-29 and 9-30 have passed: 2 (calendar days: 8).
    assert "已超期2个工作日" in board_at(client, at(2019, 10, 5, 10, 0))
    # Sat 10-12 is a 调休 working day: 9-29, 9-30, 10-08, 10-09, 10-10, 10-11, 10-12 = 7 (calendar days: 15).
    assert "已超期7个工作日" in board_at(client, at(2019, 10, 12, 10, 0))
    # Before opening on 10-08 that day has not started: still 2.
    assert "已超期2个工作日" in board_at(client, at(2019, 10, 8, 7, 30))


def test_overdue_working_days_at_the_edges(client, city):
    # A limit in working hours can end mid-morning: missed that afternoon, the day itself counts.
    exposed_case(city, at(2019, 9, 30, 10, 0))
    assert "已超期1个工作日" in board_at(client, at(2019, 9, 30, 15, 0))
    # Then 10-01..10-07 are holiday and 10-08 is the next working day: 9-30 and 10-08 = 2.
    assert "已超期2个工作日" in board_at(client, at(2019, 10, 8, 9, 0))


def test_overdue_over_a_weekend_is_still_overdue(client, city):
    # Due Friday 2019-09-27 18:00, still open on Saturday 9-28 (a rest day): no working day lost yet, but the case
    # is past its deadline, so the board says overdue (1) rather than on time.
    exposed_case(city, at(2019, 9, 27, 18, 0))
    html = board_at(client, at(2019, 9, 28, 10, 0))
    assert "status-overdue" in html and "已超期1个工作日" in html
    # Before the deadline: not overdue at all.
    html = board_at(client, at(2019, 9, 27, 17, 0))
    assert "status-on_track" in html and "已超期" not in html


def test_closed_case_is_counted_to_closing(client, city):
    # Due 9-27 18:00, closed 10-10 09:00: 9-29, 9-30, 10-08, 10-09, 10-10 (open since 08:30) = 5; the days after
    # closing do not count, however late the board is read.
    exposed_case(city, at(2019, 9, 27, 18, 0), status=Status.CLOSED, handled_at=at(2019, 10, 9, 11, 0),
                 closed_at=at(2019, 10, 10, 9, 0))
    html = board_at(client, at(2019, 11, 20, 10, 0))
    assert "超期5个工作日办结" in html


def test_board_dates_follow_the_language(client, city):
    with clock.frozen("2019-10-15 10:30"):
        exposed_case(city, at(2019, 10, 18, 18, 0))
    assert "2019-10-15 反映" in board_at(client, at(2019, 10, 16, 10, 0))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = board_at(client, at(2019, 10, 16, 10, 0))
    assert "Reported 10/15/2019" in html and "2019-10-15" not in html


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
