"""The unit workbench (issue #3 §4): a unit sees its own and its child units' cases only, signs, feeds back with
photos checked by content, returns with a reason and asks for more time."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from wenming.accounts.models import Role
from wenming.cases.models import Case, CaseAttachment
from wenming.cases.workflow import Status

from .conftest import START, make_user


def png(name="after.png"):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


@pytest.fixture
def unit(client, world):
    client.force_login(world.unit_user)
    return client


def post(client, case, action, files=None, **fields):
    case.refresh_from_db()
    data = {f"{action}-version": case.version, **{f"{action}-{k}": v for k, v in fields.items()}}
    if files:
        data[f"{action}-photos"] = files
    return client.post(reverse("cases:act", args=[case.pk, action]), data)


def test_unit_workbench_is_403_for_non_unit_users(client, world):
    client.force_login(world.office)
    assert client.get(reverse("cases:unit")).status_code == 403
    client.force_login(world.inspector)
    assert client.get(reverse("cases:unit")).status_code == 403


def test_unit_sees_its_own_and_child_units_cases_only(unit, world, client, frozen_start):
    mine = world.case(Status.DISPATCHED)
    child = world.case(Status.IN_PROGRESS, assigned_unit=world.child_unit)
    other = world.case(Status.IN_PROGRESS, assigned_unit=world.other_unit)
    world.case(Status.REPORTED)
    listed = set(codes(unit.get(reverse("cases:unit"))))
    assert listed == {mine.tracking_code, child.tracking_code}
    assert unit.get(reverse("cases:detail", args=[other.pk])).status_code == 403
    assert unit.get(reverse("cases:detail", args=[child.pk])).status_code == 200
    # A child unit's user does not see the parent's cases.
    child_user = make_user("child", world.child_unit, Role.UNIT)
    client.force_login(child_user)
    assert set(codes(client.get(reverse("cases:unit")))) == {child.tracking_code}
    assert client.get(reverse("cases:detail", args=[mine.pk])).status_code == 403


def test_parent_unit_acts_for_a_child_unit_but_not_the_other_way(unit, world, client, frozen_start):
    """Issue #3 §4: the workbench includes child units' cases, with their actions; the record names who acted
    (the parent's user) and for which unit (the assigned child unit)."""
    child = world.case(Status.DISPATCHED, assigned_unit=world.child_unit)
    page = unit.get(reverse("cases:detail", args=[child.pk])).content.decode()
    assert 'id="action-sign"' in page
    assert post(unit, child, "sign").status_code in (200, 302)
    child.refresh_from_db()
    assert child.status == Status.IN_PROGRESS and child.assigned_unit == world.child_unit
    event = child.events.get(action="sign")
    assert (event.actor, event.actor_unit) == (world.unit_user, world.child_unit)
    # A child unit's user cannot act on the parent's case, nor on a sibling's.
    mine = world.case(Status.DISPATCHED)
    client.force_login(make_user("child", world.child_unit, Role.UNIT))
    assert post(client, mine, "sign").status_code == 403
    assert Case.objects.get(pk=mine.pk).status == Status.DISPATCHED


def test_list_orders_by_deadline_and_shows_working_time_left(unit, world, frozen_start):
    late = world.case(Status.IN_PROGRESS, due_at=START - dt.timedelta(hours=2))
    soon = world.case(Status.IN_PROGRESS, due_at=START + dt.timedelta(hours=4, minutes=30))
    later = world.case(Status.DISPATCHED, due_at=START + dt.timedelta(days=6))
    response = unit.get(reverse("cases:unit"))
    assert codes(response) == [late.tracking_code, soon.tracking_code, later.tracking_code]
    body = response.content.decode()
    assert 'class="overdue"' in body and "已超期" in body
    # Friday 10:00 → 14:30: the lunch break (12:00–14:00) does not count, 2.5 working hours are left.
    assert "剩余2小时30分钟" in body
    assert codes(unit.get(reverse("cases:unit"), {"queue": "overdue"})) == [late.tracking_code]
    assert codes(unit.get(reverse("cases:unit"), {"queue": "sign"})) == [later.tracking_code]


def test_sign_from_the_list(unit, world, frozen_start):
    case = world.case(Status.DISPATCHED)
    response = unit.post(reverse("cases:act", args=[case.pk, "sign"]),
                         {"sign-version": case.version, "next": reverse("cases:unit")})
    assert response.status_code == 302 and response["Location"] == reverse("cases:unit")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.events.last().actor == world.unit_user


def test_feed_back_with_photos(unit, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    response = post(unit, case, "feed_back", files=[png("a.png"), png("b.png")], note="已清理摊点")
    assert response.status_code == 302
    case.refresh_from_db()
    event = case.events.last()
    assert case.status == Status.HANDLED and event.action == "feed_back" and event.note == "已清理摊点"
    assert CaseAttachment.objects.filter(event=event, kind="after").count() == 2


def test_feed_back_refuses_a_fake_photo_and_keeps_the_note(unit, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    fake = SimpleUploadedFile("evil.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    response = post(unit, case, "feed_back", files=[fake], note="整改完成的说明")
    body = response.content.decode()
    assert response.status_code == 400
    assert "不是有效的图片" in body and "整改完成的说明" in body
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and not CaseAttachment.objects.exists()


def test_feed_back_needs_a_note_or_a_photo(unit, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    response = post(unit, case, "feed_back", note="")
    assert response.status_code == 400 and "处置反馈须填写处置说明或上传处置后照片" in response.content.decode()


def test_return_with_a_reason(unit, world, frozen_start):
    case = world.case(Status.DISPATCHED)
    assert post(unit, case, "return", note="").status_code == 400
    assert post(unit, case, "return", note="属交通部门职责").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.assigned_unit is None and case.return_count == 1
    assert case.events.last().actor_unit == world.unit


def test_request_extension(unit, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    assert post(unit, case, "request_extension", note="需采购").status_code == 400  # no new deadline
    assert post(unit, case, "request_extension", note="需采购设备", working_days=3).status_code == 302
    case.refresh_from_db()
    assert case.extension_requested_until is not None and case.extension_requested_until > case.due_at
    page = unit.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-request_extension"' not in page  # one pending request at a time


def test_unit_cannot_use_office_actions(unit, world, frozen_start):
    case = world.case(Status.IN_PROGRESS)
    assert post(unit, case, "supervise").status_code == 403
    assert post(unit, case, "nonsense").status_code == 404
