"""The negative-list case loop (DESIGN.md §4): states, the legal transitions, and the one function that applies them.

Every status change — from pages, the API, Open311, the admin or the deadline sweep — goes through `transition()`.
It checks (state, action, role) against TABLE, locks the case row, checks the caller's version, appends a
CaseEvent, and updates the copied status, deadlines and counters, all in one transaction.

Decisions the table encodes (standards.md "Digital city management" and "Hotline practice"):
- 挂账/缓办 (suspend) is one office step: the office *is* the approver; a unit asks for it in a note or by phone.
  While suspended the clock stops: the remaining working time is kept and given back on resume.
- 延期 is two steps: the unit asks before the deadline (request_extension), the office approves or denies.
  Only approved extensions count in extension_count (延期率 counts granted extensions).
- 退单 (return) is allowed before signing and within WENMING_RETURN_LIMIT_WORKING_DAYS (2) working days of dispatch;
  the office then re-dispatches or, as 终审, forces the assignment (confirm_assignment), after which the unit
  can no longer return it.
- 签收 is due by the close of the next working day after dispatch (WENMING_SIGN_LIMIT_WORKING_DAYS, default 1):
  practice signs within hours, and a one-day limit stays inside the 2-day return window.
- 回访 (callback) uses the five GB/T 39734-2020 levels, stored as 5 非常满意 … 1 非常不满意; 不满意 and 非常不满意 reopen
  the case (重办, counted) unless the office records that the dissatisfaction was not the unit's doing.
- 核查 (verify) is done by the office or its inspectors (数字化城管: the 监督员 checks the fix on the street).
- 下派 (delegate): a unit hands a case it holds down to one of its own child units (区城管局 → 街道城管中队), keeping
  the status and every deadline — handing down never buys time. The event names the delegating unit; the child
  unit then signs, feeds back or returns it as if dispatched to it, and the parent can still act for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import mimetypes
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.db import models, transaction
from django.utils.translation import gettext as _g
from django.utils.translation import pgettext_lazy

from wenming.core import clock, workcal

if TYPE_CHECKING:
    from wenming.accounts.models import OrgUnit, User

    from .models import Case, CaseEvent


class Status(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("案件状态", "待受理")
    ACCEPTED = "accepted", pgettext_lazy("案件状态", "已立案")
    DISPATCHED = "dispatched", pgettext_lazy("案件状态", "已派遣")
    IN_PROGRESS = "in_progress", pgettext_lazy("案件状态", "处置中")
    HANDLED = "handled", pgettext_lazy("案件状态", "已反馈")
    CLOSED = "closed", pgettext_lazy("案件状态", "已结案")
    REJECTED = "rejected", pgettext_lazy("案件状态", "不予立案")
    MERGED = "merged", pgettext_lazy("案件状态", "已合并")
    SUSPENDED = "suspended", pgettext_lazy("案件状态", "挂账")


class Action(models.TextChoices):
    REPORT = "report", pgettext_lazy("案件操作", "上报")
    ACCEPT = "accept", pgettext_lazy("案件操作", "立案")
    REJECT = "reject", pgettext_lazy("案件操作", "不予立案")
    MERGE = "merge", pgettext_lazy("案件操作", "合并")
    DISPATCH = "dispatch", pgettext_lazy("案件操作", "派遣")
    SIGN = "sign", pgettext_lazy("案件操作", "签收")
    RETURN = "return", pgettext_lazy("案件操作", "退单")
    DELEGATE = "delegate", pgettext_lazy("案件操作", "下派")
    CONFIRM_ASSIGNMENT = "confirm_assignment", pgettext_lazy("案件操作", "终审派遣")
    REQUEST_EXTENSION = "request_extension", pgettext_lazy("案件操作", "申请延期")
    APPROVE_EXTENSION = "approve_extension", pgettext_lazy("案件操作", "批准延期")
    DENY_EXTENSION = "deny_extension", pgettext_lazy("案件操作", "驳回延期")
    SUSPEND = "suspend", pgettext_lazy("案件操作", "挂账")
    RESUME = "resume", pgettext_lazy("案件操作", "恢复办理")
    FEED_BACK = "feed_back", pgettext_lazy("案件操作", "处置反馈")
    VERIFY_PASS = "verify_pass", pgettext_lazy("案件操作", "核查通过")
    VERIFY_FAIL = "verify_fail", pgettext_lazy("案件操作", "核查不通过（返工）")
    CALLBACK = "callback", pgettext_lazy("案件操作", "回访")
    REOPEN = "reopen", pgettext_lazy("案件操作", "重办")
    SUPERVISE = "supervise", pgettext_lazy("案件操作", "督办")
    EXPOSE = "expose", pgettext_lazy("案件操作", "曝光")


class Actor(models.TextChoices):
    """Who acts in the loop (DESIGN.md §1); resolved per case by `roles_of()`."""

    OFFICE = "office", pgettext_lazy("办理角色", "创文办")
    UNIT = "unit", pgettext_lazy("办理角色", "责任单位")
    INSPECTOR = "inspector", pgettext_lazy("办理角色", "督查员")
    REPORTER = "reporter", pgettext_lazy("办理角色", "报告人")
    SYSTEM = "system", pgettext_lazy("办理角色", "系统")


S, A = Status, Action
OPEN_STATES = frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.SUSPENDED})
WORKING_STATES = frozenset({S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.SUSPENDED})
SAME = None  # "stays in the state it was in"


@dataclasses.dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset[str]
    target: str | None  # SAME, or the next state (callback decides its own: see _callback)
    roles: frozenset[str]
    public: bool  # shown on the reporter's timeline and the public site
    counter: str = ""  # Case field incremented each time


def rule(action, sources, target, roles, public, counter=""):
    return Rule(action, frozenset(sources), target, frozenset(roles), public, counter)


OFFICE, UNIT, INSPECTOR, REPORTER, SYSTEM = Actor.OFFICE, Actor.UNIT, Actor.INSPECTOR, Actor.REPORTER, Actor.SYSTEM

# fmt: off
TABLE: dict[str, Rule] = {r.action: r for r in [
    #    action                   from                             → to            who                   public  counter
    rule(A.ACCEPT,                {S.REPORTED},                    S.ACCEPTED,     {OFFICE},             True),
    rule(A.REJECT,                {S.REPORTED},                    S.REJECTED,     {OFFICE},             True),
    rule(A.MERGE,                 {S.REPORTED},                    S.MERGED,       {OFFICE},             True),
    rule(A.DISPATCH,              {S.ACCEPTED},                    S.DISPATCHED,   {OFFICE},             True),
    rule(A.CONFIRM_ASSIGNMENT,    {S.ACCEPTED},                    S.DISPATCHED,   {OFFICE},             False),
    rule(A.SIGN,                  {S.DISPATCHED},                  S.IN_PROGRESS,  {UNIT},               True),
    rule(A.RETURN,                {S.DISPATCHED},                  S.ACCEPTED,     {UNIT},               False, "return_count"),
    rule(A.DELEGATE,              {S.DISPATCHED, S.IN_PROGRESS},   SAME,           {UNIT},               False),
    rule(A.REQUEST_EXTENSION,     {S.IN_PROGRESS},                 SAME,           {UNIT},               False),
    rule(A.APPROVE_EXTENSION,     {S.IN_PROGRESS},                 SAME,           {OFFICE},             False, "extension_count"),
    rule(A.DENY_EXTENSION,        {S.IN_PROGRESS},                 SAME,           {OFFICE},             False),
    rule(A.SUSPEND,               {S.IN_PROGRESS},                 S.SUSPENDED,    {OFFICE},             True),
    rule(A.RESUME,                {S.SUSPENDED},                   S.IN_PROGRESS,  {OFFICE},             True),
    rule(A.FEED_BACK,             {S.IN_PROGRESS},                 S.HANDLED,      {UNIT},               True),
    rule(A.VERIFY_PASS,           {S.HANDLED},                     S.CLOSED,       {OFFICE, INSPECTOR},  True),
    rule(A.VERIFY_FAIL,           {S.HANDLED},                     S.IN_PROGRESS,  {OFFICE, INSPECTOR},  False, "rework_count"),
    rule(A.CALLBACK,              {S.CLOSED},                      SAME,           {OFFICE, REPORTER},   True),
    rule(A.REOPEN,                {S.CLOSED},                      S.IN_PROGRESS,  {OFFICE},             True, "reopen_count"),
    rule(A.SUPERVISE,             WORKING_STATES,                  SAME,           {OFFICE, SYSTEM},     False),
    rule(A.EXPOSE,                WORKING_STATES | {S.CLOSED},     SAME,           {OFFICE, SYSTEM},     True),
]}
# fmt: on

SATISFACTION_LABELS = {
    5: pgettext_lazy("满意度", "非常满意"),
    4: pgettext_lazy("满意度", "满意"),
    3: pgettext_lazy("满意度", "基本满意"),
    2: pgettext_lazy("满意度", "不满意"),
    1: pgettext_lazy("满意度", "非常不满意"),
}
DISSATISFIED = frozenset({1, 2})


class WorkflowError(Exception):
    """A refused action: `code` for programs, `message` (Chinese) for people. Nothing was changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class IllegalTransition(WorkflowError):
    pass


class CaseChanged(WorkflowError):
    def __init__(self) -> None:
        super().__init__("case_changed", _g("该案件已被他人处理，请刷新后重试"))


@dataclasses.dataclass
class AttachmentIn:
    """A file to attach to the event: `kind` is before / after / evidence (CaseAttachment.Kind)."""

    file: File
    kind: str = ""
    name: str = ""


def legal_actions(state: str, roles: Iterable[str]) -> list[str]:
    """Actions a holder of `roles` may take from `state` (for buttons; guards may still refuse)."""
    roles = set(roles)
    return [a for a, r in TABLE.items() if state in r.sources and r.roles & roles]


def roles_of(case: Case, actor: User | None, as_role: str | None = None) -> list[str]:
    """The loop roles `actor` holds on `case`, most specific first.

    No user: the caller vouches — a public page that checked the tracking code acts as REPORTER, the deadline
    sweep passes as_role=SYSTEM. A user's roles come from memberships (a unit's also over its child units' cases);
    `as_role` narrows to one of them.
    """
    from wenming.accounts.models import Role

    if actor is None:
        return [Actor.SYSTEM] if as_role == Actor.SYSTEM else [Actor.REPORTER]
    roles: list[str] = []
    if actor.is_office:
        roles.append(Actor.OFFICE)
    # The assigned unit's own staff, and those of any unit above it: a parent unit acts for its child units (the
    # event still names the assigned unit as the acting unit, and the parent's user as the actor).
    if case.assigned_unit_id and case.assigned_unit_id in actor.handled_unit_ids():
        roles.append(Actor.UNIT)
    if actor.has_role(Role.INSPECTOR):
        roles.append(Actor.INSPECTOR)
    if case.reporter_user_id and case.reporter_user_id == actor.pk:
        roles.append(Actor.REPORTER)
    if as_role is not None:
        roles = [r for r in roles if r == as_role]
    return roles


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _refuse(code: str, message: str):
    raise IllegalTransition(code, message)


def _setting(name: str, default):
    return getattr(settings, name, default)


# ---------------------------------------------------------------------------------------------------------------
# The one entry point


_listeners: list[Callable[[Any], None]] = []


def on_case_event(listener: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register `listener(event)` to hear of every case event, whatever page, API or job wrote it.

    Higher apps (webhooks in wenming.api) subscribe here from their AppConfig.ready(), so cases never imports
    them and no entry point can forget to announce. Listeners run inside the writing transaction: what they
    record rolls back with it, and anything sent outside must wait for on_commit.
    """
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def announce(event) -> None:
    for listener in _listeners:
        listener(event)


def transition(
    case: Case,
    action: str,
    *,
    actor: User | None = None,
    actor_unit: OrgUnit | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: Iterable[AttachmentIn | File] = (),
    expected_version: int | None = None,
    as_role: str | None = None,
) -> CaseEvent:
    """Apply `action` to `case` and return the new event; raise IllegalTransition or CaseChanged (nothing saved).

    `case` is updated in place. Pass `expected_version` (the version the user saw) so that two people acting on
    the same screen do not overwrite each other: the second is told to refresh.
    """
    from .models import Case, CaseEvent

    if action not in TABLE:
        _refuse("unknown_action", _g("未知操作「%(action)s」") % {"action": action})
    rule_ = TABLE[action]
    data = dict(data or {})
    note = (note or "").strip()
    files = prepare_attachments(attachments, action)  # validated before anything is written

    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
        if expected_version is not None and locked.version != expected_version:
            raise CaseChanged()
        if locked.status not in rule_.sources:
            _refuse(
                "illegal_state",
                _g("当前状态为「%(state)s」，不能执行「%(action)s」")
                % {"state": _label(Status, locked.status), "action": _label(Action, action)},
            )
        roles = [r for r in roles_of(locked, actor, as_role) if r in rule_.roles]
        if not roles:
            _refuse("forbidden", _g("您无权对该案件执行「%(action)s」") % {"action": _label(Action, action)})
        role = roles[0]

        # Decided before the effects run: a return clears the assigned unit, but the event records who returned it.
        if role == Actor.UNIT:
            actor_unit = locked.assigned_unit
        elif actor_unit is None and actor is not None and role == Actor.OFFICE:
            actor_unit = next(iter(actor.units(role="office")), None)

        now = clock.now()
        from_status = locked.status
        ctx = _Context(locked, role, actor, now, note, data, has_files=bool(files))
        _EFFECTS.get(action, _no_effect)(ctx)
        to_status = ctx.to_status or (from_status if rule_.target is SAME else rule_.target)
        locked.status = to_status
        if rule_.counter:
            setattr(locked, rule_.counter, getattr(locked, rule_.counter) + 1)
        locked.version += 1
        locked.save()

        event = CaseEvent.objects.create(
            case=locked,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_role=role,
            actor_unit=actor_unit,
            at=now,
            note=note,
            data=_jsonable(ctx.event_data),
            public=rule_.public,
        )
        save_attachments(event, files)
        announce(event)

    for field in Case._meta.concrete_fields:
        setattr(case, field.attname, getattr(locked, field.attname))
    return event


# ---------------------------------------------------------------------------------------------------------------
# Effects: what each action does besides moving the state (deadlines, counters, flags).


@dataclasses.dataclass
class _Context:
    case: Case
    role: str
    actor: User | None
    now: dt.datetime
    note: str
    data: dict[str, Any]
    has_files: bool = False
    to_status: str | None = None
    event_data: dict[str, Any] = dataclasses.field(default_factory=dict)

    def require_note(self, what: str) -> None:
        if not self.note:
            _refuse("note_required", _g("请填写%(what)s") % {"what": what})


def _no_effect(ctx: _Context) -> None:
    pass


def _accept(ctx: _Context) -> None:
    ctx.case.accepted_at = ctx.now


def _reject(ctx: _Context) -> None:
    """不予立案 with a reason: the reporter gets a 退理回单 (seed §21)."""
    ctx.require_note(_g("不予立案的理由"))
    ctx.case.closed_at = ctx.now


def _merge(ctx: _Context) -> None:
    from .models import Case

    target = ctx.data.get("into")
    target_id = getattr(target, "pk", target)
    original = Case.objects.filter(pk=target_id).first() if target_id else None
    if original is None or original.pk == ctx.case.pk or original.status not in OPEN_STATES - {S.REPORTED}:
        _refuse("merge_target", _g("请选择一件已立案且未办结的案件作为原案件"))
    ctx.case.merged_into = original
    ctx.case.closed_at = ctx.now
    ctx.event_data["into"] = original.tracking_code


def _dispatch_to(ctx: _Context, unit, *, final: bool) -> None:
    case = ctx.case
    case.assigned_unit = unit
    case.assignment_final = final
    case.dispatched_at = ctx.now
    case.signed_at = None
    case.sign_due_at = workcal.add_working_days(ctx.now, _setting("WENMING_SIGN_LIMIT_WORKING_DAYS", 1))
    due = ctx.data.get("due_at")
    if due:
        due = _aware(due)
        if due <= ctx.now:
            _refuse("due_in_past", _g("处置时限必须晚于当前时间"))
        case.due_at = due
    else:
        case.due_at = case.category.deadline_from(ctx.now, urgent=case.is_urgent)
    ctx.event_data.update(
        unit_id=unit.pk, unit=unit.name, due_at=case.due_at, sign_due_at=case.sign_due_at
    )


def _unit_from(ctx: _Context):
    from wenming.accounts.models import OrgUnit

    unit = ctx.data.get("unit")
    if unit is not None and not isinstance(unit, OrgUnit):
        unit = OrgUnit.objects.filter(pk=unit).first()
    return unit


def _dispatch(ctx: _Context) -> None:
    from .services import routing_unit_for

    unit = _unit_from(ctx) or routing_unit_for(ctx.case)
    if unit is None:
        _refuse("no_unit", _g("未找到责任单位，请选择派遣单位"))
    _dispatch_to(ctx, unit, final=False)


def _confirm_assignment(ctx: _Context) -> None:
    """终审 after a 退单 (standards.md, hotline practice): the office forces the assignment; no further return."""
    last_return = ctx.case.events.filter(action=A.RETURN).order_by("-at", "-pk").first()
    if last_return is None:
        _refuse("no_return", _g("该案件没有退单记录，请直接派遣"))
    unit = _unit_from(ctx) or last_return.actor_unit
    if unit is None:
        _refuse("no_unit", _g("未找到责任单位，请选择派遣单位"))
    _dispatch_to(ctx, unit, final=True)


def _sign(ctx: _Context) -> None:
    ctx.case.signed_at = ctx.now


def _return(ctx: _Context) -> None:
    """退单 within 2 working days of dispatch, with a reason (standards.md, hotline practice)."""
    case = ctx.case
    ctx.require_note(_g("退单理由和依据"))
    if case.assignment_final:
        _refuse("assignment_final", _g("该案件已终审派遣，不能再退单"))
    limit = _setting("WENMING_RETURN_LIMIT_WORKING_DAYS", 2)
    if case.dispatched_at and ctx.now > workcal.add_working_days(case.dispatched_at, limit):
        _refuse("return_too_late", _g("已超过退单时限（派遣后%(days)s个工作日）") % {"days": limit})
    ctx.event_data["unit_id"] = case.assigned_unit_id
    case.assigned_unit = None
    case.due_at = case.sign_due_at = None


def delegation_targets(case: Case) -> list[int]:
    """Ids of the active units below the one holding `case`: where 下派 may hand it (pages offer exactly these)."""
    from wenming.accounts.models import OrgUnit

    holder = case.assigned_unit
    if holder is None:
        return []
    below = [u.pk for u in holder.descendants_and_self() if u.pk != holder.pk]
    return list(OrgUnit.objects.filter(pk__in=below, is_active=True).values_list("pk", flat=True))


def _delegate(ctx: _Context) -> None:
    """下派 to a unit below the one holding the case; status and deadlines stay (see the module notes)."""
    case = ctx.case
    unit = _unit_from(ctx)
    holder = case.assigned_unit
    if unit is None or unit.pk not in delegation_targets(case):
        _refuse("delegate_target", _g("只能下派给本单位的下级单位，请选择下级单位"))
    ctx.event_data.update(from_unit_id=holder.pk, from_unit=holder.name, unit_id=unit.pk, unit=unit.name)
    case.assigned_unit = unit


def _request_extension(ctx: _Context) -> None:
    """延期: asked before the deadline, with reasons (standards.md, hotline practice)."""
    case = ctx.case
    ctx.require_note(_g("延期理由"))
    if case.extension_requested_until is not None:
        _refuse("extension_pending", _g("已有待审批的延期申请"))
    if case.due_at and ctx.now > case.due_at:
        _refuse("extension_too_late", _g("已超过处置时限，不能申请延期"))
    days = ctx.data.get("working_days")
    until = ctx.data.get("until")
    if until:
        until = _aware(until)
    elif days:
        until = workcal.add_working_days(case.due_at or ctx.now, int(days))
    if not until or (case.due_at and until <= case.due_at):
        _refuse("extension_until", _g("请填写晚于现处置时限的延期时间"))
    case.extension_requested_until = until
    ctx.event_data.update(until=until, previous_due_at=case.due_at)


def _decide_extension(ctx: _Context, approve: bool) -> None:
    case = ctx.case
    if case.extension_requested_until is None:
        _refuse("no_extension", _g("没有待审批的延期申请"))
    if approve:
        ctx.event_data.update(previous_due_at=case.due_at, due_at=case.extension_requested_until)
        case.due_at = case.extension_requested_until
    else:
        ctx.require_note(_g("驳回理由"))
    case.extension_requested_until = None


def _suspend(ctx: _Context) -> None:
    """挂账/缓办: the clock stops; the working time left is given back on resume."""
    case = ctx.case
    ctx.require_note(_g("挂账理由"))
    remaining = workcal.working_time_between(ctx.now, case.due_at) if case.due_at else None
    case.extension_requested_until = None
    ctx.event_data["remaining_seconds"] = remaining.total_seconds() if remaining is not None else None


def _resume(ctx: _Context) -> None:
    from .models import CaseEvent

    case = ctx.case
    last = CaseEvent.objects.filter(case=case, action=A.SUSPEND).order_by("-at", "-pk").first()
    seconds = (last.data or {}).get("remaining_seconds") if last else None
    if seconds is not None:
        case.due_at = workcal.add_working_hours(ctx.now, dt.timedelta(seconds=max(seconds, 0)))
        ctx.event_data["due_at"] = case.due_at


def _feed_back(ctx: _Context) -> None:
    if not ctx.note and not ctx.has_files:
        _refuse("evidence_required", _g("处置反馈须填写处置说明或上传处置后照片"))
    ctx.case.handled_at = ctx.now


def _verify_pass(ctx: _Context) -> None:
    ctx.case.closed_at = ctx.now
    ctx.case.satisfaction = None


def _verify_fail(ctx: _Context) -> None:
    ctx.require_note(_g("返工原因"))
    ctx.case.handled_at = None


def _reopen_from_closed(ctx: _Context) -> None:
    """重办: back to the unit with a fresh time limit from the category (standards.md: 不满意 → 重办)."""
    case = ctx.case
    case.closed_at = case.handled_at = None
    case.due_at = case.category.deadline_from(ctx.now, urgent=case.is_urgent)
    ctx.event_data["due_at"] = case.due_at


def _reopen(ctx: _Context) -> None:
    ctx.require_note(_g("重办原因"))
    _reopen_from_closed(ctx)


def _callback(ctx: _Context) -> None:
    """回访, GB/T 39734-2020 five levels; dissatisfaction caused by the unit → 重办 (standards.md)."""
    case = ctx.case
    if case.satisfaction is not None:
        _refuse("callback_done", _g("本次结案已回访"))
    try:
        level = int(ctx.data.get("satisfaction"))
    except (TypeError, ValueError):
        level = 0
    if level not in SATISFACTION_LABELS:
        _refuse("satisfaction", _g("请选择满意度：非常满意、满意、基本满意、不满意或非常不满意"))
    case.satisfaction = level
    ctx.event_data.update(satisfaction=level, satisfaction_label=str(SATISFACTION_LABELS[level]))
    # Only the office may decide a dissatisfaction was not the unit's doing (e.g. the law does not allow more).
    unit_at_fault = ctx.data.get("reopen", True) or ctx.role != Actor.OFFICE
    if level in DISSATISFIED and unit_at_fault:
        _reopen_from_closed(ctx)
        case.reopen_count += 1
        case.satisfaction = None  # the next closure gets its own callback
        ctx.to_status = S.IN_PROGRESS
        ctx.event_data["reopened"] = True


def _supervise(ctx: _Context) -> None:
    ctx.case.is_supervised = True


def _expose(ctx: _Context) -> None:
    ctx.case.is_exposed = True


_EFFECTS = {
    A.ACCEPT: _accept,
    A.REJECT: _reject,
    A.MERGE: _merge,
    A.DISPATCH: _dispatch,
    A.CONFIRM_ASSIGNMENT: _confirm_assignment,
    A.SIGN: _sign,
    A.RETURN: _return,
    A.DELEGATE: _delegate,
    A.REQUEST_EXTENSION: _request_extension,
    A.APPROVE_EXTENSION: lambda ctx: _decide_extension(ctx, approve=True),
    A.DENY_EXTENSION: lambda ctx: _decide_extension(ctx, approve=False),
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
    A.FEED_BACK: _feed_back,
    A.VERIFY_PASS: _verify_pass,
    A.VERIFY_FAIL: _verify_fail,
    A.CALLBACK: _callback,
    A.REOPEN: _reopen,
    A.SUPERVISE: _supervise,
    A.EXPOSE: _expose,
}


def reopen_events_filter() -> models.Q:
    """Events that count as 重办: explicit reopen, or a dissatisfied callback (for metrics and invariant checks)."""
    return models.Q(action=A.REOPEN) | models.Q(action=A.CALLBACK, to_status=S.IN_PROGRESS)


# ---------------------------------------------------------------------------------------------------------------
# Attachments and event data


ALLOWED_CONTENT_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
DEFAULT_KIND = {A.REPORT: "before", A.FEED_BACK: "after"}


@dataclasses.dataclass
class _PreparedFile:
    file: File
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str


def prepare_attachments(attachments: Iterable[AttachmentIn | File], action: str) -> list[_PreparedFile]:
    """Check every file before anything is saved: size limit and real image content (DESIGN.md §7)."""
    from PIL import Image, UnidentifiedImageError

    limit = _setting("WENMING_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
    prepared = []
    for item in attachments:
        if not isinstance(item, AttachmentIn):
            item = AttachmentIn(file=item)
        f = item.file
        name = item.name or getattr(f, "name", "") or "upload"
        size = f.size
        if size > limit:
            _refuse("file_too_large", _g("文件「%(name)s」超过 %(mb)s MB") % {"name": name, "mb": limit // (1024 * 1024)})
        content_type = getattr(f, "content_type", None) or mimetypes.guess_type(name)[0] or ""
        digest = hashlib.sha256()
        f.seek(0)
        for chunk in f.chunks():
            digest.update(chunk)
        f.seek(0)
        try:
            with Image.open(f) as image:
                image.verify()
                real_type = Image.MIME.get(image.format or "", "")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            real_type = ""  # a decompression bomb (a few KB that unpack to gigapixels) is no photo either
        f.seek(0)
        if real_type not in ALLOWED_CONTENT_TYPES:
            _refuse("file_type", _g("文件「%(name)s」不是有效的图片（支持 JPEG、PNG、WebP、GIF）") % {"name": name})
        prepared.append(
            _PreparedFile(f, item.kind or DEFAULT_KIND.get(action, "evidence"), name, real_type or content_type, size,
                          digest.hexdigest())
        )
    return prepared


def save_attachments(event: CaseEvent, files: list[_PreparedFile]) -> None:
    from .models import CaseAttachment

    for p in files:
        attachment = CaseAttachment(
            event=event, kind=p.kind, original_name=p.name[:200], content_type=p.content_type, size=p.size,
            sha256=p.sha256,
        )
        attachment.file.save(p.name.rsplit("/", 1)[-1], p.file, save=False)
        attachment.save()


def _aware(value: str | dt.datetime) -> dt.datetime:
    """A datetime from event data; naive values are read in the deployment's time zone."""
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        moment = None
    if not isinstance(moment, dt.datetime):
        _refuse("bad_datetime", _g("时间格式不正确"))
    return moment if moment.tzinfo else moment.replace(tzinfo=workcal.tz())


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value
