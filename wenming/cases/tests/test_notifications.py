"""Notifications (issue #3 §3): who is told about dispatch, 督办, extension decisions and 返工; email through
Django's mail backends; the notifications page and the header count."""

import pytest
from django.core import mail
from django.urls import reverse

from wenming.accounts.models import Membership, Role
from wenming.cases.context_processors import notifications as unread_context
from wenming.cases.models import Notification, NotificationKind
from wenming.cases.notifications import case_act, notify_for_event
from wenming.cases.workflow import Action, Status, transition

from .conftest import START, make_user


@pytest.fixture
def people(world):
    world.unit_user.email = "unit@example.cn"
    world.unit_user.save()
    world.unit_leader = make_user("leader", world.unit, Role.LEADER)
    world.unit_leader.email = "leader@example.cn"
    world.unit_leader.save()
    world.child_user = make_user("child", world.child_unit, Role.UNIT)
    world.child_user.email = "child@example.cn"
    world.child_user.save()
    return world


def recipients(kind):
    return {n.recipient.username for n in Notification.objects.filter(kind=kind)}


def test_dispatch_notifies_the_units_users_by_app_and_email(people, frozen_start):
    case = people.case(Status.ACCEPTED)
    case_act(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})
    assert recipients(NotificationKind.DISPATCH) == {"unit", "leader"}
    n = Notification.objects.get(recipient=people.unit_user)
    assert n.case == case and n.unit == people.unit and n.read_at is None and case.tracking_code in n.message
    assert "请于" in n.message and n.emailed_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["leader@example.cn", "unit@example.cn"]
    assert all(case.tracking_code in m.subject and "派遣" in m.subject for m in mail.outbox)
    assert f"/cases/{case.pk}/" in mail.outbox[0].body


def test_supervise_notifies_the_unit_and_its_parent(people, frozen_start):
    case = people.case(Status.IN_PROGRESS, assigned_unit=people.child_unit)
    case_act(case, Action.SUPERVISE, actor=people.office, note="请本周内办结")
    assert recipients(NotificationKind.SUPERVISE) == {"child", "unit", "leader"}
    assert "请本周内办结" in Notification.objects.filter(kind="supervise").first().message
    assert not Notification.objects.filter(recipient=people.other_unit_user).exists()


def test_extension_decisions_and_rework_notify_the_unit(people, frozen_start):
    case = people.case(Status.IN_PROGRESS)
    transition(case, Action.REQUEST_EXTENSION, actor=people.unit_user, note="需采购", data={"working_days": 2})
    case_act(case, Action.APPROVE_EXTENSION, actor=people.office)
    transition(case, Action.REQUEST_EXTENSION, actor=people.unit_user, note="再延", data={"working_days": 2})
    case_act(case, Action.DENY_EXTENSION, actor=people.office, note="不予延期")
    transition(case, Action.FEED_BACK, actor=people.unit_user, note="已处理")
    case_act(case, Action.VERIFY_FAIL, actor=people.office, note="现场仍有占道")
    assert recipients(NotificationKind.EXTENSION_APPROVED) == {"unit", "leader"}
    assert recipients(NotificationKind.EXTENSION_DENIED) == {"unit", "leader"}
    assert "不予延期" in Notification.objects.get(kind="extension_denied", recipient=people.unit_user).message
    assert "现场仍有占道" in Notification.objects.get(kind="rework", recipient=people.unit_user).message


def test_other_actions_tell_nobody_and_plain_transition_stays_quiet(people, frozen_start):
    case = people.case(Status.REPORTED)
    case_act(case, Action.ACCEPT, actor=people.office)
    transition(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})  # not through the wrapper
    assert not Notification.objects.exists() and not mail.outbox


def test_notified_once_per_event(people, frozen_start):
    case = people.case(Status.ACCEPTED)
    event = case_act(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})
    assert notify_for_event(event) == []
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_users_without_email_get_in_app_only(world, frozen_start):
    case = world.case(Status.ACCEPTED)
    case_act(case, Action.DISPATCH, actor=world.office, data={"unit": world.unit})
    assert Notification.objects.filter(recipient=world.unit_user).exists() and not mail.outbox


def test_merge_tells_a_reporter_with_an_account(world, frozen_start):
    original = world.case(Status.IN_PROGRESS)
    dup = world.case(Status.REPORTED, reporter_user=world.inspector)
    case_act(dup, Action.MERGE, actor=world.office, data={"into": original})
    n = Notification.objects.get(kind=NotificationKind.MERGED)
    assert n.recipient == world.inspector and original.tracking_code in n.message


def test_dispatch_through_the_page_notifies(client, people, frozen_start):
    case = people.case(Status.ACCEPTED)
    client.force_login(people.office)
    client.post(reverse("cases:act", args=[case.pk, "dispatch"]),
                {"dispatch-version": case.version, "dispatch-unit": people.unit.pk})
    assert recipients(NotificationKind.DISPATCH) == {"unit", "leader"}


def test_notifications_page_count_and_read(client, people, frozen_start, settings):
    case = people.case(Status.ACCEPTED)
    case_act(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})
    client.force_login(people.unit_user)
    page = client.get(reverse("cases:notifications")).content.decode()
    assert case.tracking_code in page and 'class="badge"' in page and ">1</span>" in page
    n = Notification.objects.get(recipient=people.unit_user)
    response = client.post(reverse("cases:notification_read", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    n.refresh_from_db()
    assert n.read_at == START
    # Someone else's notification is not theirs to read.
    other = Notification.objects.get(recipient=people.unit_leader)
    assert client.post(reverse("cases:notification_read", args=[other.pk])).status_code == 404
    client.force_login(people.unit_leader)
    client.post(reverse("cases:notifications_read_all"))
    assert not Notification.objects.unread().exists()


def test_context_processor_counts_lazily(rf, people, frozen_start, django_assert_num_queries):
    case = people.case(Status.ACCEPTED)
    case_act(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})
    request = rf.get("/")
    request.user = people.unit_user
    with django_assert_num_queries(0):
        ctx = unread_context(request)
    assert int(str(ctx["unread_notifications"])) == 1
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert unread_context(request) == {"unread_notifications": 0}


def test_context_processor_in_the_header(client, people, frozen_start, settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "context_processors": [
            *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
            "wenming.cases.context_processors.notifications",
        ]}}
    ]
    case = people.case(Status.ACCEPTED)
    case_act(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})
    client.force_login(people.unit_user)
    assert ">1</span>" in client.get(reverse("cases:unit")).content.decode()


def test_inactive_members_are_not_notified(people, frozen_start):
    people.unit_leader.is_active = False
    people.unit_leader.save()
    Membership.objects.create(user=people.other_unit_user, org_unit=people.unit, role=Role.INSPECTOR)
    case = people.case(Status.ACCEPTED)
    case_act(case, Action.DISPATCH, actor=people.office, data={"unit": people.unit})
    assert recipients(NotificationKind.DISPATCH) == {"unit"}
