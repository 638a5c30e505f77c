"""The office workbench (issue #3 §4): who may open it, its queues and filters, the case page, every action
through the page reaching workflow.transition(), optimistic concurrency and photo checks."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from wenming.cases import services
from wenming.cases.models import Case, CaseAttachment, CaseEvent, Channel
from wenming.cases.workflow import Action, Status, transition
from wenming.core import clock
from wenming.geo.models import Jurisdiction, JurisdictionKind

from .conftest import START


@pytest.fixture(autouse=True)
def no_locator(monkeypatch):
    monkeypatch.setattr(services, "locate_point", lambda lat, lng: None)


@pytest.fixture
def office(client, world):
    client.force_login(world.office)
    return client


def png(name="after.png", size=(8, 8)):
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


def act(client, case, action, **fields):
    case.refresh_from_db()
    data = {f"{action}-version": case.version}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(reverse("cases:act", args=[case.pk, action]), data)


# --- access ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["cases:office", "cases:map", "cases:export", "cases:map_geojson"])
def test_office_pages_are_403_for_units_and_inspectors(client, world, url):
    for user in (world.unit_user, world.inspector):
        client.force_login(user)
        assert client.get(reverse(url)).status_code == 403


def test_office_pages_need_login(client, world):
    response = client.get(reverse("cases:office"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_office_opens_every_queue(office, world, frozen_start):
    reported = world.case(Status.REPORTED)
    accepted = world.case(Status.ACCEPTED)
    handled = world.case(Status.HANDLED)
    overdue = world.case(Status.IN_PROGRESS, due_at=START - dt.timedelta(hours=1))
    pending = world.case(Status.IN_PROGRESS, extension_requested_until=START + dt.timedelta(days=9))
    suspended = world.case(Status.SUSPENDED)
    expect = {
        "reported": {reported}, "dispatch": {accepted}, "verify": {handled}, "overdue": {overdue},
        "extension": {pending}, "suspended": {suspended},
    }
    for queue, cases in expect.items():
        response = office.get(reverse("cases:office"), {"queue": queue})
        assert response.status_code == 200
        assert set(codes(response)) == {c.tracking_code for c in cases}, queue
    everything = office.get(reverse("cases:office"), {"queue": "all"})
    assert len(codes(everything)) == 6
    assert "超期" in everything.content.decode()


# --- filters ----------------------------------------------------------------------------------------------------


def test_filters_narrow_the_list(office, world, frozen_start):
    district = Jurisdiction.objects.create(code="430202", name="荷塘区", kind=JurisdictionKind.DISTRICT)
    street = Jurisdiction.objects.create(code="430202001", name="月塘街道", kind=JurisdictionKind.STREET, parent=district)
    a = world.case(Status.IN_PROGRESS, district=district, street=street, channel=Channel.HOTLINE, is_supervised=True,
                   description="夜市烧烤油烟扰民")
    b = world.case(Status.IN_PROGRESS, assigned_unit=world.child_unit, is_exposed=True)
    c = world.case(Status.REPORTED, created_at=START - dt.timedelta(days=10))
    url = reverse("cases:office")

    def listed(**params):
        return set(codes(office.get(url, {"queue": "all", **params})))

    assert listed(district=district.pk) == {a.tracking_code}
    assert listed(street=street.pk) == {a.tracking_code}
    assert listed(channel="hotline") == {a.tracking_code}
    assert listed(supervised="on") == {a.tracking_code}
    assert listed(exposed="on") == {b.tracking_code}
    assert listed(unit=world.unit.pk) == {a.tracking_code, b.tracking_code}  # the unit and its child unit
    assert listed(unit=world.child_unit.pk) == {b.tracking_code}
    assert listed(status="reported") == {c.tracking_code}
    assert listed(q="油烟") == {a.tracking_code}
    assert listed(q=c.tracking_code.lower()) == {c.tracking_code}
    day = (START - dt.timedelta(days=10)).date().isoformat()
    assert listed(date_from=day, date_to=day) == {c.tracking_code}
    assert listed(category=world.category.pk) == {a.tracking_code, b.tracking_code, c.tracking_code}


def test_bad_filter_input_is_told_not_crashed(office, world):
    response = office.get(reverse("cases:office"), {"queue": "all", "date_from": "2019-13-45", "unit": "abc"})
    assert response.status_code == 200
    assert "请输入一个有效的日期" in response.content.decode() or "有效" in response.content.decode()


def test_keyset_pages_walk_every_case_once(office, world, frozen_start, monkeypatch):
    from wenming.cases import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    made = {world.case(Status.REPORTED, created_at=START - dt.timedelta(minutes=i % 3)).tracking_code
            for i in range(10)}
    seen, params = [], {"queue": "reported"}
    for _ in range(5):
        response = office.get(reverse("cases:office"), params)
        seen += codes(response)
        nxt = re.search(r'after=([\w-]+)" rel="next"', response.content.decode())
        if not nxt:
            break
        params = {"queue": "reported", "after": nxt.group(1)}
    assert len(seen) == 10 and set(seen) == made
    assert "共 10 件" in office.get(reverse("cases:office"), {"queue": "reported"}).content.decode()


# --- the case page and its actions ------------------------------------------------------------------------------


def test_case_page_shows_timeline_point_and_only_legal_actions(office, world, frozen_start):
    case = world.case(Status.REPORTED, address="建设路")
    page = office.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="case-point"' in page and "上报" in page
    for action in ("accept", "reject", "merge"):
        assert f'id="action-{action}"' in page
    assert 'id="action-dispatch"' not in page and 'id="action-sign"' not in page


def test_accept_dispatch_verify_close_through_the_pages(office, world, frozen_start, client):
    case = world.case(Status.REPORTED)
    assert act(office, case, "accept", note="属实，立案").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED

    page = office.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "按类别和网格推荐：市城管局" in page
    due = world.category.deadline_from(clock.now())
    assert f"处置时限为 {due.astimezone(START.tzinfo):%Y-%m-%d %H:%M}" in page
    assert act(office, case, "dispatch", unit=world.unit.pk).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.assigned_unit == world.unit and case.due_at == due

    transition(case, Action.SIGN, actor=world.unit_user)
    transition(case, Action.FEED_BACK, actor=world.unit_user, note="已清理")
    assert act(office, case, "verify_pass", note="现场核查已整改").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    log = list(case.events.order_by("at", "pk").values_list("action", "actor__username"))
    assert log == [("report", None), ("accept", "office"), ("dispatch", "office"), ("sign", "unit"),
                   ("feed_back", "unit"), ("verify_pass", "office")]


def test_dispatch_to_a_chosen_unit_with_a_chosen_deadline(office, world, frozen_start):
    case = world.case(Status.ACCEPTED)
    response = act(office, case, "dispatch", unit=world.other_unit.pk, due_at="2019-10-10T17:00")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_unit == world.other_unit
    assert case.due_at == dt.datetime(2019, 10, 10, 17, tzinfo=START.tzinfo)


def test_reject_needs_a_reason_and_keeps_it_on_the_public_record(office, world, frozen_start):
    case = world.case(Status.REPORTED)
    response = act(office, case, "reject", note="")
    assert response.status_code == 400 and "请填写不予立案的理由" in response.content.decode()
    assert act(office, case, "reject", note="不属于本平台受理范围").status_code == 302
    case.refresh_from_db()
    event = case.events.get(action="reject")
    assert case.status == Status.REJECTED and event.public and event.note == "不属于本平台受理范围"
    from wenming.cases.selectors import public_status_for

    assert public_status_for(case).rejection_reason == "不属于本平台受理范围"


@pytest.mark.parametrize(
    "status, action, fields, check",
    [
        (Status.IN_PROGRESS, "supervise", {"note": "请加快"}, lambda c: c.is_supervised),
        (Status.IN_PROGRESS, "expose", {}, lambda c: c.is_exposed),
        (Status.IN_PROGRESS, "suspend", {"note": "需协调用地"}, lambda c: c.status == Status.SUSPENDED),
        (Status.SUSPENDED, "resume", {}, lambda c: c.status == Status.IN_PROGRESS),
        (Status.HANDLED, "verify_fail", {"note": "仍有摊贩"}, lambda c: c.status == Status.IN_PROGRESS and c.rework_count == 1),
        (Status.CLOSED, "reopen", {"note": "群众反映复发"}, lambda c: c.status == Status.IN_PROGRESS),
        (Status.CLOSED, "callback", {"satisfaction": 4}, lambda c: c.satisfaction == 4),
    ],
)
def test_office_actions_reach_the_event_log(office, world, frozen_start, status, action, fields, check):
    case = world.case(status)
    before = case.events.count()
    response = act(office, case, action, **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert check(case)
    assert case.events.count() == before + 1 and case.events.last().action == action
    assert case.events.last().actor == world.office


def test_hotline_callback_dissatisfied_reopens(office, world, frozen_start):
    case = world.case(Status.CLOSED, channel=Channel.HOTLINE)
    assert act(office, case, "callback", satisfaction=2, reopen="on", note="电话回访：仍有占道").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.reopen_count == 1


def test_extension_approve_and_deny(office, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="需采购设备", data={"working_days": 3})
    page = office.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-approve_extension"' in page and "申请延期至" in page
    until = case.extension_requested_until
    assert act(office, case, "approve_extension").status_code == 302
    case.refresh_from_db()
    assert case.due_at == until and case.extension_count == 1
    transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="再延", data={"working_days": 2})
    assert act(office, case, "deny_extension", note="").status_code == 400
    assert act(office, case, "deny_extension", note="时限已足够").status_code == 302
    case.refresh_from_db()
    assert case.extension_requested_until is None and case.due_at == until


def test_confirm_assignment_after_a_return(office, world, frozen_start):
    case = world.case(Status.DISPATCHED)
    transition(case, Action.RETURN, actor=world.unit_user, note="不属于本单位职责")
    page = office.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-confirm_assignment"' in page and "退单待终审" in office.get(
        reverse("cases:office"), {"queue": "dispatch"}).content.decode()
    assert act(office, case, "confirm_assignment", unit=world.unit.pk, note="终审派遣").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.assignment_final


def test_stale_version_says_so_and_keeps_the_note(office, world, frozen_start):
    case = world.case(Status.REPORTED)
    seen = case.version
    transition(case, Action.ACCEPT, actor=world.office)  # a colleague was quicker
    response = office.post(reverse("cases:act", args=[case.pk, "reject"]),
                           {"reject-version": seen, "reject-note": "重复上报，理由很长的一段话"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "该案件已被他人处理，请刷新后重试" in body
    assert "重复上报，理由很长的一段话" in body
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and not case.events.filter(action="reject").exists()


def test_stale_version_on_a_still_legal_action_offers_the_form_again(office, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    seen = case.version
    transition(case, Action.SUPERVISE, actor=world.office)
    response = office.post(reverse("cases:act", args=[case.pk, "expose"]),
                           {"expose-version": seen, "expose-note": "典型案例曝光"})
    body = response.content.decode()
    assert response.status_code == 409 and "该案件已被他人处理" in body
    assert "典型案例曝光" in body and f'name="expose-version" value="{case.version}"' in body
    assert not Case.objects.get(pk=case.pk).is_exposed


def test_merge_offers_duplicates_and_keeps_the_reporter_informed(office, world, frozen_start):
    original = world.case(Status.IN_PROGRESS)
    dup = world.case(Status.REPORTED, lat=original.lat + 0.0001, lng=original.lng)
    unaccepted = world.case(Status.REPORTED, lat=original.lat, lng=original.lng + 0.0001)
    page = office.get(reverse("cases:detail", args=[dup.pk])).content.decode()
    assert "疑似重复案件" in page and original.tracking_code in page and unaccepted.tracking_code in page
    assert f'<option value="{original.pk}"' in page and f'<option value="{unaccepted.pk}"' not in page
    assert act(office, dup, "merge", into=original.pk).status_code == 302
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == original
    from wenming.cases.selectors import public_status_for

    shown = public_status_for(dup)
    assert shown.merged_into == original.tracking_code and shown.status == Status.IN_PROGRESS
    assert f"已合并至 {original.tracking_code}" in shown.message
    transition(original, Action.FEED_BACK, actor=world.unit_user, note="已清理")
    transition(original, Action.VERIFY_PASS, actor=world.office)
    shown = public_status_for(Case.objects.get(pk=dup.pk))
    assert shown.status == Status.CLOSED and shown.status_label == "已结案"
    assert [e.action for e in shown.events][-2:] == ["feed_back", "verify_pass"]


def test_merge_by_tracking_code_and_bad_code(office, world, frozen_start):
    original = world.case(Status.ACCEPTED)
    dup = world.case(Status.REPORTED, lat=None, lng=None)
    response = act(office, dup, "merge", into_code="WM00000000ZZZZZZ")
    assert response.status_code == 400 and "未找到该查询码对应的案件" in response.content.decode()
    assert act(office, dup, "merge", into_code=original.tracking_code.lower()).status_code == 302
    assert Case.objects.get(pk=dup.pk).merged_into == original


def test_illegal_action_for_the_state_is_refused(office, world, frozen_start):
    case = world.case(Status.REPORTED)
    response = act(office, case, "verify_pass")
    assert response.status_code == 403
    assert case.events.count() == 1


def test_attachments_are_served_to_those_who_may_see_the_case(client, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    event = transition(case, Action.FEED_BACK, actor=world.unit_user, attachments=[png()])
    att = CaseAttachment.objects.get(event=event)
    client.force_login(world.office)
    response = client.get(reverse("cases:attachment", args=[att.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    client.force_login(world.other_unit_user)
    assert client.get(reverse("cases:attachment", args=[att.pk])).status_code == 403


def test_text_is_escaped(office, world, frozen_start):
    case = world.case(Status.REPORTED, description="<script>alert(1)</script>占道")
    body = office.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert CaseEvent.objects.filter(case=case).count() == 1
