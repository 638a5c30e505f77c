"""Who hears about what happens to a case: in-app notifications and email (issue #3 §3).

`case_act()` is the pages' service wrapper around `workflow.transition()`: it applies the action, then reads the
returned event and tells the people concerned. Notifications are never written from save() or signals
(STYLE.md "State changes are explicit"), so a test or a script that calls transition() directly stays quiet.

Who is told (DESIGN.md §4; standards.md, hotline practice):
- 派遣 / 终审派遣 → the users of the assigned unit; 下派 → the users of the child unit it was handed to;
- 督办 → the unit and its leadership: the unit's users and leaders, and the users of its parent unit;
- overdue sweep (system 督办, "a notice the day after expiry") → the same, as 超期督办;
- 延期 approved / denied → the unit ("延期: … approved by the supervising office, the citizen told");
- 核查不通过 (返工) → the unit;
- 合并 → the merged report's reporter, when they reported with an account.
Email goes to those with an address, through Django's mail backends, on the tasks queue so a slow mail server
never holds up a page.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from wenming.accounts.models import OrgUnit, Role, User
from wenming.core import clock, workcal

from .models import Case, CaseEvent, Notification, NotificationKind
from .workflow import Action, Actor, transition

# The roles in a unit that receive its notices: its case handlers and its leaders.
RECIPIENT_ROLES = (Role.UNIT, Role.LEADER)


def unit_recipients(unit: OrgUnit) -> list[User]:
    return list(
        User.objects.filter(
            memberships__org_unit=unit, memberships__role__in=RECIPIENT_ROLES, is_active=True
        ).distinct().order_by("pk")
    )


def notify(
    *,
    case: Case,
    kind: str,
    message: str,
    units: Iterable[OrgUnit | None] = (),
    users: Iterable[User] = (),
    event: CaseEvent | None = None,
    email: bool = True,
) -> list[Notification]:
    """Create one in-app notification per person (the users of `units`, plus `users`) and queue their emails.

    With an `event`, each person is told once per event and kind, however often this is called.
    """
    recipients: dict[int, tuple[User, OrgUnit | None]] = {}
    for unit in units:
        if unit is None:
            continue
        for user in unit_recipients(unit):
            recipients.setdefault(user.pk, (user, unit))
    for user in users:
        if user is not None and user.is_active:
            recipients.setdefault(user.pk, (user, None))
    if event is not None and recipients:
        already = set(
            Notification.objects.filter(event=event, kind=kind, recipient_id__in=recipients).values_list(
                "recipient_id", flat=True
            )
        )
        recipients = {pk: v for pk, v in recipients.items() if pk not in already}
    created = []
    now = clock.now()
    for user, unit in recipients.values():
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        recipient=user, unit=unit, case=case, event=event, kind=kind, message=message, created_at=now
                    )
                )
        except IntegrityError:  # another worker told this person about this event a moment ago
            continue
    to_mail = [n.pk for n in created if n.recipient.email]
    if email and to_mail:
        from .tasks import send_notification_emails

        send_notification_emails.enqueue(to_mail)
    return created


def _when(moment) -> str:
    return moment.astimezone(workcal.tz()).strftime("%Y-%m-%d %H:%M") if moment else _("（未设定）")


def _subject(case: Case) -> str:
    return f"{case.tracking_code}（{case.category.name}）"


def notify_for_event(event: CaseEvent) -> list[Notification]:
    """Tell the people concerned about one event (see the module docstring); other events tell nobody."""
    case = event.case
    unit = case.assigned_unit
    what = _subject(case)
    action, note = event.action, event.note
    if action in (Action.DISPATCH, Action.CONFIRM_ASSIGNMENT):
        message = _("案件 %(case)s 已派遣至你单位，请于 %(sign)s 前签收，%(due)s 前处置并反馈。") % {
            "case": what, "sign": _when(case.sign_due_at), "due": _when(case.due_at)
        }
        return notify(case=case, kind=NotificationKind.DISPATCH, message=message, units=[unit], event=event)
    if action == Action.DELEGATE:
        message = _("案件 %(case)s 已由%(parent)s下派至你单位，请于 %(due)s 前处置并反馈。") % {
            "case": what, "parent": event.data.get("from_unit", ""), "due": _when(case.due_at)
        }
        return notify(case=case, kind=NotificationKind.DISPATCH, message=message, units=[unit], event=event)
    if action == Action.SUPERVISE:
        leadership = [unit, unit.parent if unit is not None else None]
        if event.actor_role == Actor.SYSTEM:
            message = _("案件 %(case)s 已超过处置时限（%(due)s），系统已自动督办，请立即处置并反馈。") % {
                "case": what, "due": _when(case.due_at)
            }
            kind = NotificationKind.OVERDUE
        else:
            message = _("创文办对案件 %(case)s 督办，请于 %(due)s 前办结。") % {"case": what, "due": _when(case.due_at)}
            if note:
                message += _("督办意见：%(note)s") % {"note": note}
            kind = NotificationKind.SUPERVISE
        return notify(case=case, kind=kind, message=message, units=leadership, event=event)
    if action == Action.APPROVE_EXTENSION:
        message = _("案件 %(case)s 的延期申请已批准，新的处置时限为 %(due)s。") % {"case": what, "due": _when(case.due_at)}
        return notify(case=case, kind=NotificationKind.EXTENSION_APPROVED, message=message, units=[unit], event=event)
    if action == Action.DENY_EXTENSION:
        message = _("案件 %(case)s 的延期申请被驳回：%(note)s。处置时限仍为 %(due)s。") % {
            "case": what, "note": note, "due": _when(case.due_at)
        }
        return notify(case=case, kind=NotificationKind.EXTENSION_DENIED, message=message, units=[unit], event=event)
    if action == Action.VERIFY_FAIL:
        message = _("案件 %(case)s 核查未通过，需返工：%(note)s") % {"case": what, "note": note}
        return notify(case=case, kind=NotificationKind.REWORK, message=message, units=[unit], event=event)
    if action == Action.MERGE and case.reporter_user_id:
        message = _("您反映的问题 %(code)s 已合并至 %(into)s 一并办理，仍可用原查询码查看办理进度。") % {
            "code": case.tracking_code, "into": (event.data or {}).get("into", "")
        }
        return notify(case=case, kind=NotificationKind.MERGED, message=message, users=[case.reporter_user],
                      event=event)
    return []


def case_act(case: Case, action: str, *, actor: User | None, **kwargs) -> CaseEvent:
    """workflow.transition(), then the notifications the event calls for. Raises what transition() raises."""
    event = transition(case, action, actor=actor, **kwargs)
    notify_for_event(event)
    return event


def sweep_and_notify(now=None) -> dict[str, int]:
    """services.sweep_overdue(), then 超期督办 notices for the cases it supervised.

    The sweep's own events are found by id (everything it writes comes after `last`); the notice is once per
    event, so a second sweep — or two running at once — neither supervises nor notifies twice.
    """
    from . import services

    last = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    supervised = services.sweep_overdue(now)
    notified = 0
    events = CaseEvent.objects.filter(pk__gt=last, action=Action.SUPERVISE, actor_role=Actor.SYSTEM).select_related(
        "case__category", "case__assigned_unit__parent"
    )
    for event in events:
        notified += len(notify_for_event(event))
    return {"supervised": supervised, "notified": notified}


# ---------------------------------------------------------------------------------------------------------------
# Email


def site_url() -> str:
    return getattr(settings, "WENMING_SITE_URL", "").rstrip("/")


def send_emails(notification_ids: Iterable[int]) -> int:
    """Send one email per notification to its recipient (those without an address are skipped)."""
    from django.core.mail import EmailMessage, get_connection

    sent = 0
    rows = Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True).select_related(
        "recipient", "case"
    )
    messages, done = [], []
    for n in rows:
        if not n.recipient.email:
            continue
        link = site_url() + reverse("cases:detail", args=[n.case_id])
        body = f"{n.message}\n\n{_('查看案件：')}{link}\n\n{_('（本邮件由文明城市创建管理平台自动发送）')}"
        subject = _("【%(kind)s】%(code)s") % {"kind": n.get_kind_display(), "code": n.case.tracking_code}
        messages.append(EmailMessage(subject, body, to=[n.recipient.email]))
        done.append(n.pk)
    if messages:
        sent = get_connection(fail_silently=False).send_messages(messages) or 0
        Notification.objects.filter(pk__in=done).update(emailed_at=clock.now())
    return sent
