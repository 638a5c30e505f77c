"""Named reads for the workbenches (issue #3 §4): queues, filters, scope, keyset pages, the map feed, and what
each user may do to a case. Views read as sentences over these; nothing here writes.

Everything must stay fast at a million cases: lists read newest first by (created_at, id) — or a unit's by
(due_at, id) — with keyset cursors instead of OFFSET, counts are capped, and every filter has an index that
ends in the sort key (models.Case.Meta.indexes).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, TextField, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenming.accounts.models import OrgUnit, Role, User
from wenming.core import clock, workcal

from .models import Case, CaseEvent
from .workflow import Action, Actor, Status, legal_actions, roles_of

# ---------------------------------------------------------------------------------------------------------------
# Scope: who sees which cases (DESIGN.md §7: each unit sees and acts on its own work)


def is_office(user) -> bool:
    return bool(user and user.is_authenticated and user.is_office)


def unit_ids_for(user: User) -> list[int]:
    """The units a responsible-unit user answers for: their UNIT memberships and every unit below them."""
    if not (user and user.is_authenticated):
        return []
    return sorted(user.handled_unit_ids())


def cases_for_unit_user(user: User) -> QuerySet[Case]:
    return Case.objects.filter(assigned_unit_id__in=unit_ids_for(user))


def can_view_case(user: User, case: Case) -> bool:
    """The office and its inspectors see every case; a unit sees cases assigned to it or to a unit below it."""
    if not (user and user.is_authenticated):
        return False
    if user.is_office or user.has_role(Role.INSPECTOR):
        return True
    return case.assigned_unit_id is not None and case.assigned_unit_id in unit_ids_for(user)


# ---------------------------------------------------------------------------------------------------------------
# The office's queues (issue #3 §4)


@dataclasses.dataclass(frozen=True)
class Queue:
    key: str
    label: Any
    hint: Any = ""


OFFICE_QUEUES = [
    Queue("reported", gettext_lazy("新上报"), gettext_lazy("待受理（立案、不予立案或合并）")),
    Queue("dispatch", gettext_lazy("待派遣"), gettext_lazy("已立案待派遣，含退单待终审")),
    Queue("overdue", gettext_lazy("超期"), gettext_lazy("已派遣或处置中且超过处置时限")),
    Queue("verify", gettext_lazy("待核查"), gettext_lazy("单位已反馈，待核查结案")),
    Queue("extension", gettext_lazy("延期审批"), gettext_lazy("单位申请延期，待审批")),
    Queue("suspended", gettext_lazy("挂账"), gettext_lazy("挂账（缓办）中的案件")),
    Queue("all", gettext_lazy("全部案件"), ""),
]
QUEUE_KEYS = {q.key for q in OFFICE_QUEUES}


def office_queue(key: str, now: dt.datetime | None = None) -> QuerySet[Case]:
    qs = Case.objects.all()
    if key == "reported":
        return qs.filter(status=Status.REPORTED)
    if key == "dispatch":
        return qs.filter(status=Status.ACCEPTED)
    if key == "overdue":
        return qs.overdue(now)
    if key == "verify":
        return qs.filter(status=Status.HANDLED)
    if key == "extension":
        return qs.filter(status=Status.IN_PROGRESS, extension_requested_until__isnull=False)
    if key == "suspended":
        return qs.filter(status=Status.SUSPENDED)
    return qs


def queue_counts(keys: Iterable[str], cap: int = 999) -> dict[str, str]:
    """Capped counts for the tab badges: a tab shows "999+" rather than counting a million rows."""
    now = clock.now()
    return {k: capped_count(office_queue(k, now), cap).label for k in keys if k != "all"}


UNIT_QUEUES = [
    Queue("todo", gettext_lazy("待办"), gettext_lazy("待签收、处置中和挂账的案件")),
    Queue("sign", gettext_lazy("待签收"), ""),
    Queue("working", gettext_lazy("处置中"), ""),
    Queue("overdue", gettext_lazy("超期"), ""),
    Queue("handled", gettext_lazy("已反馈待核查"), ""),
    Queue("closed", gettext_lazy("已结案"), ""),
    Queue("all", gettext_lazy("全部"), ""),
]
UNIT_QUEUE_KEYS = {q.key for q in UNIT_QUEUES}


def unit_queue(qs: QuerySet[Case], key: str, now: dt.datetime | None = None) -> QuerySet[Case]:
    if key == "todo":
        return qs.filter(status__in=[Status.DISPATCHED, Status.IN_PROGRESS, Status.SUSPENDED])
    if key == "sign":
        return qs.filter(status=Status.DISPATCHED)
    if key == "working":
        return qs.filter(status=Status.IN_PROGRESS)
    if key == "overdue":
        return qs.overdue(now)
    if key == "handled":
        return qs.filter(status=Status.HANDLED)
    if key == "closed":
        return qs.filter(status=Status.CLOSED)
    return qs


# ---------------------------------------------------------------------------------------------------------------
# Filters shared by the page, the Excel export and the map feed

TRACKING_CODE_RE = re.compile(r"^WM\d{8}[0-9A-Z]{6}$")


def filter_cases(qs: QuerySet[Case], f: dict[str, Any], now: dt.datetime | None = None) -> QuerySet[Case]:
    """Apply a CaseFilterForm's cleaned data. Unknown or empty keys are ignored."""
    from .models import normalise_tracking_code

    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("category"):
        qs = qs.filter(category=f["category"])
    if f.get("unit"):
        qs = qs.filter(assigned_unit_id__in=[u.pk for u in f["unit"].descendants_and_self()])
    if f.get("district"):
        qs = qs.filter(district=f["district"])
    if f.get("street"):
        qs = qs.filter(street=f["street"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(f["date_from"]))
    if f.get("date_to"):
        qs = qs.filter(created_at__lt=_day_start(f["date_to"] + dt.timedelta(days=1)))
    if f.get("overdue"):
        qs = qs.overdue(now)
    if f.get("supervised"):
        qs = qs.filter(is_supervised=True)
    if f.get("exposed"):
        qs = qs.filter(is_exposed=True)
    text = (f.get("q") or "").strip()
    if text:
        code = normalise_tracking_code(text)
        if TRACKING_CODE_RE.match(code):
            # A whole tracking code: the unique index answers at once.
            qs = qs.filter(tracking_code=code)
        elif code.startswith("WM") and len(text) <= 20 and text.isascii():
            # The start of a tracking code (a prefix LIKE uses the unique index's pattern twin on PostgreSQL).
            qs = qs.filter(tracking_code__startswith=code)
        else:
            qs = text_search(qs, text)
    return qs


def _grams_index_ready() -> bool:
    """Whether this database has migration 0005's wm_case_grams (PostgreSQL; asked once per database)."""
    name = connection.settings_dict["NAME"]
    if name not in _GRAMS_READY:
        ready = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT to_regprocedure('wm_case_grams(text,text,text)') IS NOT NULL")
                ready = bool(cur.fetchone()[0])
        _GRAMS_READY[name] = ready
    return _GRAMS_READY[name]


_GRAMS_READY: dict[str, bool] = {}
_CJK = re.compile(r"[\u3400-\u9fff]")  # what wm_case_grams keeps as single characters (code points 13312–40959)


class _CaseGrams(Func):
    function = "wm_case_grams"  # migration 0005: the index expression, word for word
    output_field = ArrayField(TextField())


def text_search(qs: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Cases whose title, description or address contains `text` (case-insensitive).

    On PostgreSQL the character-pair index of migration 0005 first narrows the cases to those holding every pair
    of the query, or its one Chinese character — a Chinese word is mostly one or two characters —
    and wm_case_text_has then checks the exact text. Elsewhere (SQLite) icontains alone."""
    if not _grams_index_ready() or len(text) == 1 and not _CJK.match(text):  # no gram to look up
        return qs.filter(Q(description__icontains=text) | Q(title__icontains=text) | Q(address__icontains=text))
    # The exact check is migration 0005's wm_case_text_has (icontains' meaning; see there why not three LIKEs).
    has_text = Func("title", "description", "address", Value(text), function="wm_case_text_has",
                    output_field=BooleanField())
    wanted = Func(Value(text), function="wm_query_grams", output_field=ArrayField(TextField()))
    return qs.alias(text_grams=_CaseGrams("title", "description", "address")).filter(
        has_text, text_grams__contains=wanted
    )


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=workcal.tz())


LIST_RELATED = ("category", "assigned_unit", "district", "street")


# ---------------------------------------------------------------------------------------------------------------
# Keyset pages and capped counts


@dataclasses.dataclass
class Count:
    n: int
    exact: bool

    @property
    def label(self) -> str:
        return str(self.n) if self.exact else f"{self.n}+"


def list_total(qs: QuerySet, page: KeysetPage, cap: int = 10_000) -> Count:
    """How many rows the list has: a first page that is also the last already says it (no second scan, which for
    a rare search term is as long as the first), else a capped count."""
    if page.is_first and page.next_cursor is None:
        return Count(len(page.rows), True)
    return capped_count(qs, cap)


def capped_count(qs: QuerySet, cap: int = 10_000) -> Count:
    """COUNT over at most cap+1 rows (a LIMITed subquery): exact for ordinary lists, "10000+" for huge ones."""
    n = qs.order_by().values("pk")[: cap + 1].count()
    return Count(min(n, cap), n <= cap)


@dataclasses.dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    is_first: bool


def _encode(value, pk: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, dt.datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime | None, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = json.loads(raw)
        return (dt.datetime.fromisoformat(value) if value is not None else None), int(pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def keyset_page(qs: QuerySet, order: str, cursor: str | None, size: int = 50) -> KeysetPage:
    """One page of `qs` ordered by `order` ("-created_at" or "due_at", ties by pk, NULLs last).

    The cursor carries the last row's (value, pk); a bad cursor starts again at the first page.
    """
    desc = order.startswith("-")
    field = order.lstrip("-")
    # NULLS LAST only where NULLs can occur: "created_at DESC NULLS LAST" would not match a plain b-tree scanned
    # backwards and PostgreSQL would sort the whole table; "due_at ASC NULLS LAST" is the index's own order.
    nullable = qs.model._meta.get_field(field).null
    if desc:
        expr = F(field).desc(nulls_last=True) if nullable else F(field).desc()
    else:
        expr = F(field).asc(nulls_last=True) if nullable else F(field).asc()
    qs = qs.order_by(expr, "-pk" if desc else "pk")
    after = _decode(cursor) if cursor else None
    if after is not None:
        value, pk = after
        pk_after = Q(pk__lt=pk) if desc else Q(pk__gt=pk)
        if value is None:
            qs = qs.filter(Q(**{f"{field}__isnull": True}) & pk_after)
        else:
            beyond = Q(**{f"{field}__lt" if desc else f"{field}__gt": value})
            qs = qs.filter(beyond | Q(**{field: value}) & pk_after | Q(**{f"{field}__isnull": True}))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(getattr(last, field), last.pk)
    return KeysetPage(rows, next_cursor, after is None)


# ---------------------------------------------------------------------------------------------------------------
# Working time left (standards.md: time limits are working time)


def working_time_text(delta: dt.timedelta) -> str:
    """e.g. "2个工作日3小时", counted in the calendar's working hours (7.5 h a day by default)."""
    per_day = workcal.working_hours_per_day()
    minutes = int(abs(delta).total_seconds() // 60)
    day_minutes = max(int(per_day.total_seconds() // 60), 1)
    days, rest = divmod(minutes, day_minutes)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s个工作日") % {"n": days})
    if hours:
        parts.append(_("%(n)s小时") % {"n": hours})
    if mins and not days:
        parts.append(_("%(n)s分钟") % {"n": mins})
    return "".join(parts) or _("不足1分钟")


@dataclasses.dataclass
class TimeLeft:
    text: str
    overdue: bool
    soon: bool


def time_left(case: Case, now: dt.datetime | None = None, cal=None) -> TimeLeft | None:
    """Working time to the handling deadline while the unit holds the case; None when no clock runs."""
    if case.due_at is None or case.status not in (Status.DISPATCHED, Status.IN_PROGRESS):
        return None
    now = now or clock.now()
    delta = workcal.working_time_between(now, case.due_at, cal)
    if case.due_at <= now:
        return TimeLeft(_("已超期%(t)s") % {"t": working_time_text(delta)}, True, False)
    return TimeLeft(_("剩余%(t)s") % {"t": working_time_text(delta)}, False, delta <= workcal.working_hours_per_day())


def annotate_rows(rows: list[Case], now: dt.datetime | None = None) -> list[Case]:
    now = now or clock.now()
    cal = workcal.Calendar()  # one calendar per page: overrides read once per year for all rows
    for case in rows:
        case.left = time_left(case, now, cal)
        case.overdue_now = case.is_overdue(now)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# What a user may do to a case (buttons). workflow.legal_actions answers from the table; the guards below hide
# buttons that transition() would refuse anyway, so a page never offers a dead action. transition() decides.

ACTION_ORDER = [
    Action.ACCEPT, Action.REJECT, Action.MERGE, Action.DISPATCH, Action.CONFIRM_ASSIGNMENT, Action.SIGN,
    Action.RETURN, Action.DELEGATE, Action.FEED_BACK, Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.DENY_EXTENSION,
    Action.VERIFY_PASS, Action.VERIFY_FAIL, Action.SUSPEND, Action.RESUME, Action.CALLBACK, Action.REOPEN,
    Action.SUPERVISE, Action.EXPOSE,
]


def _parent_unit_ids(user: User) -> frozenset[int]:
    """Units that have active child units (worked out once per user object: asked for every row of a list)."""
    cached = user.__dict__.get("_parent_unit_ids")
    if cached is None:
        cached = user.__dict__["_parent_unit_ids"] = frozenset(
            OrgUnit.objects.filter(is_active=True, parent__isnull=False).values_list("parent_id", flat=True)
        )
    return cached


def _guard(case: Case, action: str, now: dt.datetime, user: User | None = None) -> bool:
    if action == Action.DELEGATE:
        return user is not None and case.assigned_unit_id in _parent_unit_ids(user)
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        return case.extension_requested_until is not None
    if action == Action.REQUEST_EXTENSION:
        return case.extension_requested_until is None and (case.due_at is None or now <= case.due_at)
    if action == Action.CONFIRM_ASSIGNMENT:
        return case.return_count > 0
    if action == Action.RETURN:
        return not case.assignment_final
    if action == Action.CALLBACK:
        return case.satisfaction is None
    if action == Action.EXPOSE:
        return not case.is_exposed
    return True


def actions_for(case: Case, user: User | None) -> list[str]:
    """The actions `user` may take on `case` in its current state, in workbench order."""
    if user is None or not user.is_authenticated:
        return []
    roles = [r for r in roles_of(case, user) if r != Actor.REPORTER]
    legal = set(legal_actions(case.status, roles))
    now = clock.now()
    return [a for a in ACTION_ORDER if a in legal and _guard(case, a, now, user)]


# ---------------------------------------------------------------------------------------------------------------
# The public face of a case, merged or not (for the tracking page; seed §21 受理回单/退理回单)


@dataclasses.dataclass
class PublicStatus:
    tracking_code: str  # the reporter's own code
    status: str  # the status the reporter sees: the original's when merged
    status_label: str
    case: Case  # the reporter's case
    followed: Case  # the case whose progress is shown (the original when merged)
    merged_into: str | None  # the original's tracking code
    message: str  # one line for the top of the page
    rejection_reason: str | None  # the 退理回单's reason
    events: list[CaseEvent]  # public timeline: own events, then the original's from the merge on
    due_at: dt.datetime | None
    closed_at: dt.datetime | None


def public_status_for(case: Case) -> PublicStatus:
    """What a reporter's tracking code shows. A merged report follows its original: "已合并至 WM…", and the
    original's status and public events from the merge onwards, so every reporter stays informed."""
    own = list(case.public_events().select_related("actor_unit").prefetch_related("attachments"))
    followed, hops = case, 0
    while followed.status == Status.MERGED and followed.merged_into_id and hops < 5:
        followed = Case.objects.select_related("category").get(pk=followed.merged_into_id)
        hops += 1
    merged_into = followed.tracking_code if followed.pk != case.pk else None
    events = own
    if merged_into:
        merged_at = next((e.at for e in reversed(own) if e.action == Action.MERGE), case.closed_at)
        later = followed.public_events().select_related("actor_unit").prefetch_related("attachments")
        if merged_at is not None:
            later = later.filter(at__gte=merged_at)
        events = own + [e for e in later if e.action != Action.REPORT]
    status_label = str(Status(followed.status).label)
    rejection = None
    if case.status == Status.REJECTED:
        last = next((e for e in reversed(own) if e.action == Action.REJECT), None)
        rejection = last.note if last else ""
    if merged_into:
        message = _("已合并至 %(code)s 一并办理，当前状态：%(status)s") % {"code": merged_into, "status": status_label}
    elif rejection is not None:
        message = _("不予立案：%(reason)s") % {"reason": rejection}
    else:
        message = _("当前状态：%(status)s") % {"status": status_label}
    return PublicStatus(
        tracking_code=case.tracking_code,
        status=followed.status,
        status_label=status_label,
        case=case,
        followed=followed,
        merged_into=merged_into,
        message=message,
        rejection_reason=rejection,
        events=events,
        due_at=followed.due_at,
        closed_at=followed.closed_at,
    )


# ---------------------------------------------------------------------------------------------------------------
# Map feed

MAP_MAX_FEATURES = 2000
STATUS_COLORS = {
    Status.REPORTED: "#d69e2e",
    Status.ACCEPTED: "#805ad5",
    Status.DISPATCHED: "#3182ce",
    Status.IN_PROGRESS: "#2b6cb0",
    Status.HANDLED: "#38a169",
    Status.SUSPENDED: "#718096",
    Status.CLOSED: "#2f855a",
    Status.REJECTED: "#a0aec0",
    Status.MERGED: "#a0aec0",
}
OVERDUE_COLOR = "#c53030"


def map_features(qs: QuerySet[Case], bbox, limit: int = MAP_MAX_FEATURES) -> tuple[list[dict], bool]:
    """GeoJSON features for cases with a point, newest first, at most `limit` (and whether more exist)."""
    qs = qs.filter(lat__isnull=False, lng__isnull=False)
    if bbox is not None:
        min_lng, min_lat, max_lng, max_lat = bbox
        qs = qs.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
    from django.urls import reverse

    now = clock.now()
    detail = reverse("cases:detail", args=[0]).replace("/0/", "/{}/")  # reversed once, not per marker
    rows = list(
        qs.select_related("category", "assigned_unit")
        .order_by("-created_at", "-pk")
        .only(
            "pk", "tracking_code", "lat", "lng", "status", "due_at", "category__name", "assigned_unit__name",
            "is_supervised", "created_at",
        )[: limit + 1]
    )
    features = []
    for c in rows[:limit]:
        overdue = c.is_overdue(now)
        features.append(
            {
                "type": "Feature",
                "id": c.pk,
                "geometry": {"type": "Point", "coordinates": [c.lng, c.lat]},
                "properties": {
                    "code": c.tracking_code,
                    "status": c.status,
                    "status_label": str(Status(c.status).label),
                    "category": c.category.name,
                    "unit": c.assigned_unit.name if c.assigned_unit_id else None,
                    "overdue": overdue,
                    "supervised": c.is_supervised,
                    "color": OVERDUE_COLOR if overdue else STATUS_COLORS.get(c.status, "#555"),
                    "url": detail.format(c.pk),
                },
            }
        )
    return features, len(rows) > limit


def units_for_picker() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.active().order_by("order", "name")
