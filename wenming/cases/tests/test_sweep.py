"""The supervision sweep (issue #3 §3; standards.md, hotline practice: a notice the day after expiry): the task,
the `sweep` command, exactly-once supervision and notification."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command

from wenming.cases import services
from wenming.cases.models import CaseEvent, Notification, NotificationKind
from wenming.cases.tasks import sweep_overdue_task
from wenming.cases.workflow import Action, Actor, Status, transition

from .conftest import START


@pytest.fixture
def overdue(world):
    world.unit_user.email = "unit@example.cn"
    world.unit_user.save()
    late = world.case(Status.IN_PROGRESS, due_at=START - dt.timedelta(hours=1))
    late_child = world.case(Status.DISPATCHED, assigned_unit=world.child_unit, due_at=START - dt.timedelta(days=1))
    on_time = world.case(Status.IN_PROGRESS, due_at=START + dt.timedelta(days=1))
    suspended = world.case(Status.SUSPENDED, due_at=START - dt.timedelta(days=1))
    return late, late_child, on_time, suspended


def supervise_events():
    return CaseEvent.objects.filter(action=Action.SUPERVISE)


def test_task_supervises_overdue_cases_exactly_once_and_notifies(world, overdue, frozen_start):
    late, late_child, on_time, suspended = overdue
    result = sweep_overdue_task.enqueue()  # the ImmediateBackend runs it at once in tests
    assert result.return_value == {"supervised": 2, "notified": 2}
    assert set(supervise_events().values_list("case_id", flat=True)) == {late.pk, late_child.pk}
    assert set(supervise_events().values_list("actor_role", flat=True)) == {Actor.SYSTEM}
    # 督办 reaches the unit and its parent: the child unit has no users here, its parent's user is told.
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE, recipient=world.unit_user).count() == 2
    assert len(mail.outbox) == 2 and all("超期督办" in m.subject for m in mail.outbox)

    again = sweep_overdue_task.enqueue()
    assert again.return_value == {"supervised": 0, "notified": 0}
    assert supervise_events().count() == 2 and Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_sweep_command_runs_now_and_prints_counts_in_chinese(world, overdue, frozen_start):
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "超期督办完成：新督办案件 2 件，发送通知 2 条" in out.getvalue()
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "新督办案件 0 件" in out.getvalue()


def test_sweep_command_enqueues(world, overdue, frozen_start):
    out = io.StringIO()
    call_command("sweep", "--enqueue", stdout=out)
    assert "已加入任务队列" in out.getvalue() and "wenming worker" in out.getvalue()
    assert supervise_events().count() == 2  # the immediate backend ran it


def test_a_case_supervised_meanwhile_is_not_supervised_twice(world, frozen_start, monkeypatch):
    """services.sweep_overdue fix: it passes the version it listed, so a concurrent 督办 is not repeated."""
    case = world.case(Status.IN_PROGRESS, due_at=START - dt.timedelta(hours=1))
    real = services.transition
    calls = []

    def racing(target, action, **kwargs):
        if not calls:
            calls.append(1)
            real(target.__class__.objects.get(pk=target.pk), Action.SUPERVISE, as_role=Actor.SYSTEM)  # another sweep
        return real(target, action, **kwargs)

    monkeypatch.setattr(services, "transition", racing)
    assert services.sweep_overdue() == 0
    assert supervise_events().filter(case=case).count() == 1


def test_office_supervision_already_done_is_not_repeated_by_the_sweep(world, frozen_start):
    case = world.case(Status.IN_PROGRESS, due_at=START - dt.timedelta(hours=1))
    transition(case, Action.SUPERVISE, actor=world.office)
    assert sweep_overdue_task.call() == {"supervised": 0, "notified": 0}
