"""The two workbench journeys in Chromium (issue #3 §4): a unit signs a dispatched case and feeds back with a photo;
the office accepts a reported case, dispatches it, verifies the feedback and closes it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from wenming.cases.models import Case, CaseAttachment
from wenming.cases.workflow import Action, Status, transition
from wenming.core import clock

from .conftest import START

PASSWORD = "x" * 12


def png_bytes(size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 140, 60)).save(buf, "PNG")
    return buf.getvalue()


def login(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unit_signs_and_feeds_back_with_a_photo(world, page):
    with clock.frozen(START):  # the live server thread shares the frozen clock
        case = world.case(Status.DISPATCHED)
        login(page, "unit")
        page.goto("/cases/unit/")
        row = page.locator(f"tr[data-code='{case.tracking_code}']")
        assert "剩余" in row.inner_text()
        row.locator("button:has-text('签收')").click()
        page.wait_for_selector(".messages li.success")
        assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS

        page.goto(f"/cases/{case.pk}/")
        form = page.locator("#action-feed_back")
        form.locator("textarea").fill("摊点已清理，现场恢复整洁")
        form.locator("input[type=file]").set_input_files(
            {"name": "整改后.png", "mimeType": "image/png", "buffer": png_bytes()}
        )
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".messages li.success")
        assert page.inner_text("#case-status") == "已反馈"
        assert page.locator("#timeline img").count() == 1

    case.refresh_from_db()
    assert case.status == Status.HANDLED
    event = case.events.last()
    assert event.action == "feed_back" and event.actor == world.unit_user
    assert CaseAttachment.objects.get(event=event).original_name == "整改后.png"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_office_accepts_dispatches_verifies_and_closes(world, page):
    with clock.frozen(START):
        case = world.case(Status.REPORTED)
        login(page, "office")
        page.goto("/cases/")
        page.locator(f"tr[data-code='{case.tracking_code}'] a").first.click()
        page.wait_for_selector("#action-accept")
        page.locator("#action-accept textarea").fill("经核实属实，予以立案")
        page.locator("#action-accept button[type=submit]").click()
        page.wait_for_selector("#action-dispatch")
        assert page.inner_text("#case-status") == "已立案"

        dispatch = page.locator("#action-dispatch")
        assert "按类别和网格推荐：市城管局" in dispatch.inner_text()
        assert dispatch.locator("select").input_value() == str(world.unit.pk)
        dispatch.locator("button[type=submit]").click()
        page.wait_for_selector(".messages li.success")
        assert page.inner_text("#case-status") == "已派遣"

        # The unit signs and feeds back (its own journey is the test above).
        fresh = Case.objects.get(pk=case.pk)
        transition(fresh, Action.SIGN, actor=world.unit_user)
        transition(fresh, Action.FEED_BACK, actor=world.unit_user, note="已清理")

        page.goto("/cases/?queue=verify")
        page.locator(f"tr[data-code='{case.tracking_code}'] a").first.click()
        page.locator("#action-verify_pass textarea").fill("现场核查已整改到位")
        page.locator("#action-verify_pass button[type=submit]").click()
        page.wait_for_selector(".messages li.success")
        assert page.inner_text("#case-status") == "已结案"

    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.assigned_unit == world.unit
    assert list(case.events.values_list("action", flat=True)) == [
        "report", "accept", "dispatch", "sign", "feed_back", "verify_pass"
    ]
