"""The case loop as the office and a unit live it: deadlines in working time, returns, extensions, suspension,
verification, callback, concurrency, attachments."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wenming.cases.models import Case, CaseAttachment, CaseEvent
from wenming.cases.workflow import (
    Action,
    Actor,
    AttachmentIn,
    CaseChanged,
    IllegalTransition,
    Status,
    legal_actions,
    transition,
)
from wenming.core import clock
from wenming.core.models import CalendarOverride

from .conftest import SH


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def png(name="after.png"):
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def dispatched(world, moment, **case_fields):
    case = world.case(Status.ACCEPTED, **case_fields)
    with clock.frozen(moment):
        transition(case, Action.DISPATCH, actor=world.office, data={"unit": world.unit})
    return case


def test_dispatch_deadline_skips_national_day_holidays(world):
    # Friday 27 Sep 2019 10:00 + 5 working days: 29 Sep (调休 Sunday), 30 Sep, 8, 9, 10 Oct.
    case = dispatched(world, at(2019, 9, 27, 10))
    assert case.status == Status.DISPATCHED
    assert case.assigned_unit == world.unit
    assert case.due_at == at(2019, 10, 10, 18)
    # Signing is due by the close of the next working day: the working Sunday.
    assert case.sign_due_at == at(2019, 9, 29, 18)
    event = case.events.get(action=Action.DISPATCH)
    assert event.data["due_at"] == "2019-10-10T18:00:00+08:00"
    assert event.data["unit"] == "市城管局"
    assert event.actor_unit == world.office_unit


def test_urgent_case_deadline_in_working_hours(world):
    # 30 Sep 16:00 + 4 working hours: 2 h that day, then 08:30 on 8 Oct + 2 h.
    case = dispatched(world, at(2019, 9, 30, 16), is_urgent=True)
    assert case.due_at == at(2019, 10, 8, 10, 30)


def test_dispatch_deadline_respects_calendar_override(world):
    CalendarOverride.objects.create(date=dt.date(2019, 10, 10), is_workday=False, note="测试")
    case = dispatched(world, at(2019, 9, 27, 10))
    assert case.due_at == at(2019, 10, 11, 18)


def test_dispatch_defaults_to_routing_unit_and_office_may_set_due_date(world):
    case = world.case(Status.ACCEPTED)
    with clock.frozen(at(2019, 9, 27, 10)):
        transition(case, Action.DISPATCH, actor=world.office, data={"due_at": "2019-09-30T12:00:00"})
    assert case.assigned_unit == world.unit  # category is 属主 → its responsible unit
    assert case.due_at == at(2019, 9, 30, 12)


def test_full_loop_with_rework_and_callback(world):
    with clock.frozen(at(2019, 9, 27, 9)):
        case = world.case()
        transition(case, Action.ACCEPT, actor=world.office)
        transition(case, Action.DISPATCH, actor=world.office, data={"unit": world.unit})
        transition(case, Action.SIGN, actor=world.unit_user)
        transition(case, Action.FEED_BACK, actor=world.unit_user, attachments=[png()])
        transition(case, Action.VERIFY_FAIL, actor=world.inspector, note="摊点仍在")
        assert (case.status, case.rework_count) == (Status.IN_PROGRESS, 1)
        transition(case, Action.FEED_BACK, actor=world.unit_user, note="已清理")
        transition(case, Action.VERIFY_PASS, actor=world.inspector)
    assert case.status == Status.CLOSED
    assert case.closed_at == at(2019, 9, 27, 9)
    event = transition(case, Action.CALLBACK, data={"satisfaction": 5})
    assert event.actor is None and event.actor_role == Actor.REPORTER
    assert event.data["satisfaction_label"] == "非常满意"
    assert case.status == Status.CLOSED and case.satisfaction == 5
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.CALLBACK, data={"satisfaction": 1})
    assert refused.value.message == "本次结案已回访"
    assert [e.action for e in case.public_events()] == [
        "report", "accept", "dispatch", "sign", "feed_back", "feed_back", "verify_pass", "callback",
    ]
    attachment = CaseAttachment.objects.get()
    assert attachment.kind == "after" and attachment.content_type == "image/png" and len(attachment.sha256) == 64


@pytest.mark.parametrize("level,label", [(2, "不满意"), (1, "非常不满意")])
def test_dissatisfied_callback_reopens_with_fresh_deadline(world, level, label):
    case = world.case(Status.CLOSED)
    with clock.frozen(at(2019, 9, 30, 9)):
        event = transition(case, Action.CALLBACK, data={"satisfaction": level})
    assert event.to_status == Status.IN_PROGRESS and event.data["satisfaction_label"] == label
    assert case.status == Status.IN_PROGRESS
    assert case.reopen_count == 1
    assert case.due_at == at(2019, 10, 12, 18)  # 8, 9, 10, 11 Oct and Saturday 12 Oct (调休); 30 Sep not counted
    assert case.closed_at is None and case.satisfaction is None


def test_office_may_record_dissatisfaction_not_caused_by_the_unit(world):
    case = world.case(Status.CLOSED)
    transition(case, Action.CALLBACK, actor=world.office, data={"satisfaction": 2, "reopen": False})
    assert (case.status, case.reopen_count, case.satisfaction) == (Status.CLOSED, 0, 2)
    other = world.case(Status.CLOSED)
    transition(other, Action.CALLBACK, data={"satisfaction": 2, "reopen": False})  # the public cannot waive it
    assert other.status == Status.IN_PROGRESS


def test_callback_requires_a_valid_level(world):
    case = world.case(Status.CLOSED)
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.CALLBACK, data={"satisfaction": 7})
    assert refused.value.code == "satisfaction"


def test_return_then_final_assignment(world):
    case = dispatched(world, at(2019, 9, 27, 10))
    with clock.frozen(at(2019, 9, 29, 9)):
        with pytest.raises(IllegalTransition) as refused:
            transition(case, Action.RETURN, actor=world.unit_user)
        assert refused.value.message == "请填写退单理由和依据"
        transition(case, Action.RETURN, actor=world.unit_user, note="不属于本单位职责")
        assert (case.status, case.assigned_unit, case.return_count) == (Status.ACCEPTED, None, 1)
        assert {Action.DISPATCH, Action.CONFIRM_ASSIGNMENT} <= set(legal_actions(case.status, [Actor.OFFICE]))
        assert legal_actions(case.status, [Actor.UNIT]) == []
        transition(case, Action.CONFIRM_ASSIGNMENT, actor=world.office, note="经终审，由原单位办理")
    assert case.status == Status.DISPATCHED and case.assigned_unit == world.unit and case.assignment_final
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.RETURN, actor=world.unit_user, note="再退")
    assert refused.value.message == "该案件已终审派遣，不能再退单"


def test_return_is_refused_after_two_working_days(world):
    case = dispatched(world, at(2019, 9, 27, 10))  # two working days: 29 and 30 Sep
    with clock.frozen(at(2019, 10, 8, 9)), pytest.raises(IllegalTransition) as refused:
        transition(case, Action.RETURN, actor=world.unit_user, note="不属于本单位")
    assert refused.value.code == "return_too_late"
    with clock.frozen(at(2019, 9, 30, 17, 59)):
        transition(case, Action.RETURN, actor=world.unit_user, note="不属于本单位")


def test_confirm_assignment_needs_a_return(world):
    with pytest.raises(IllegalTransition) as refused:
        transition(world.case(Status.ACCEPTED), Action.CONFIRM_ASSIGNMENT, actor=world.office)
    assert refused.value.code == "no_return"


def test_extension_request_and_approval(world):
    case = dispatched(world, at(2019, 9, 27, 10))
    with clock.frozen(at(2019, 9, 29, 10)):
        transition(case, Action.SIGN, actor=world.unit_user)
        transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="需协调产权单位",
                   data={"working_days": 3})  # 11, 12 (调休 Saturday), 14 Oct
        assert case.extension_requested_until == at(2019, 10, 14, 18)
        assert case.due_at == at(2019, 10, 10, 18)  # unchanged until approved
        with pytest.raises(IllegalTransition) as refused:
            transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="再申请", data={"working_days": 1})
        assert refused.value.code == "extension_pending"
        transition(case, Action.APPROVE_EXTENSION, actor=world.office)
    assert case.due_at == at(2019, 10, 14, 18) and case.extension_count == 1
    assert case.extension_requested_until is None
    with clock.frozen(at(2019, 10, 15, 9)), pytest.raises(IllegalTransition) as refused:
        transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="再延", data={"working_days": 1})
    assert refused.value.message == "已超过处置时限，不能申请延期"


def test_denied_extension_keeps_deadline_and_is_not_counted(world):
    case = world.case(Status.IN_PROGRESS, due_at=at(2019, 10, 10, 18))
    with clock.frozen(at(2019, 9, 30, 9)):
        transition(case, Action.REQUEST_EXTENSION, actor=world.unit_user, note="理由",
                   data={"until": "2019-10-20T18:00:00+08:00"})
        transition(case, Action.DENY_EXTENSION, actor=world.office, note="可按期完成")
    assert case.due_at == at(2019, 10, 10, 18) and case.extension_count == 0
    assert case.extension_requested_until is None


def test_suspend_stops_the_clock(world):
    case = world.case(Status.IN_PROGRESS, due_at=at(2019, 9, 30, 18))
    with clock.frozen(at(2019, 9, 30, 14)):
        event = transition(case, Action.SUSPEND, actor=world.office, note="待拆迁安置")
    assert event.data["remaining_seconds"] == 4 * 3600
    assert not Case.objects.overdue(at(2019, 12, 1)).exists()
    with clock.frozen(at(2019, 12, 2, 9)):  # a Monday
        transition(case, Action.RESUME, actor=world.office)
    assert case.status == Status.IN_PROGRESS and case.due_at == at(2019, 12, 2, 15)


def test_feed_back_needs_note_or_photo(world):
    case = world.case(Status.IN_PROGRESS)
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.FEED_BACK, actor=world.unit_user)
    assert refused.value.code == "evidence_required"


def test_fake_or_huge_images_change_nothing(world, settings):
    case = world.case(Status.IN_PROGRESS)
    fake = SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.FEED_BACK, actor=world.unit_user, note="已处理", attachments=[fake])
    assert "不是有效的图片" in refused.value.message
    settings.WENMING_MAX_EVIDENCE_BYTES = 10
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.FEED_BACK, actor=world.unit_user, note="已处理",
                   attachments=[AttachmentIn(png(), kind="after")])
    assert refused.value.code == "file_too_large"
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.version == 0
    assert not CaseAttachment.objects.exists() and case.events.count() == 1


def test_merge_into_open_original(world):
    original = world.case(Status.IN_PROGRESS)
    duplicate = world.case()
    event = transition(duplicate, Action.MERGE, actor=world.office, data={"into": original})
    assert duplicate.status == Status.MERGED and duplicate.merged_into == original
    assert event.data["into"] == original.tracking_code
    closed = world.case(Status.CLOSED)
    with pytest.raises(IllegalTransition):
        transition(world.case(), Action.MERGE, actor=world.office, data={"into": closed.pk})


def test_reject_needs_a_reason(world):
    with pytest.raises(IllegalTransition) as refused:
        transition(world.case(), Action.REJECT, actor=world.office)
    assert refused.value.message == "请填写不予立案的理由"


def test_supervise_and_expose_flags(world):
    case = world.case(Status.IN_PROGRESS)
    transition(case, Action.SUPERVISE, actor=world.office, note="请加快办理")
    transition(case, Action.EXPOSE, actor=world.office)
    assert case.is_supervised and case.is_exposed and case.status == Status.IN_PROGRESS
    assert not case.events.get(action=Action.SUPERVISE).public
    assert case.events.get(action=Action.EXPOSE).public


def test_optimistic_concurrency_second_actor_is_told_to_refresh(world):
    case = world.case(Status.DISPATCHED)
    seen_by_a = Case.objects.get(pk=case.pk)
    seen_by_b = Case.objects.get(pk=case.pk)
    transition(seen_by_a, Action.SIGN, actor=world.unit_user, expected_version=seen_by_a.version)
    with pytest.raises(CaseChanged) as refused:
        transition(seen_by_b, Action.SUPERVISE, actor=world.office, expected_version=seen_by_b.version)
    assert refused.value.message == "该案件已被他人处理，请刷新后重试"
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.signed_at is not None
    assert not case.is_supervised and case.version == 1
    assert list(case.events.values_list("action", flat=True)) == ["report", "sign"]


def test_event_log_is_append_only(world):
    event = world.case().events.get()
    event.note = "篡改"
    with pytest.raises(Exception, match="只能追加"):
        event.save()
    with pytest.raises(Exception, match="只能追加"):
        event.delete()
    assert CaseEvent.objects.get(pk=event.pk).note == ""


def test_script_in_notes_is_stored_as_typed(world):
    case = world.case(Status.IN_PROGRESS)
    event = transition(case, Action.FEED_BACK, actor=world.unit_user, note="<script>alert(1)</script>")
    assert CaseEvent.objects.get(pk=event.pk).note == "<script>alert(1)</script>"
