"""Negative-list platform (seed §39): categories, cases, the append-only case event log, attachments.

States and legal transitions live in `workflow.py`; status, deadlines and counters here are copies kept by
`workflow.transition()` and are never edited directly (DESIGN.md §3, §7).

Text from reporters (description, address, notes) is stored exactly as typed, script tags included, and must
only ever be rendered escaped (Django templates autoescape; API/Open311 output is JSON/XML-encoded).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.accounts.models import OrgUnit
from wenming.core import clock, workcal
from wenming.core.models import TimeStamped

from .workflow import OPEN_STATES, Action, Actor, Status

# ---------------------------------------------------------------------------------------------------------------
# Categories (standards.md: 事件/部件 main classes and sub-classes, each with 立案/结案标准 and 处置时限)


class CategoryKind(models.TextChoices):
    EVENT = "event", pgettext_lazy("问题类型", "事件")
    COMPONENT = "component", pgettext_lazy("问题类型", "部件")


class ResponsibilityRule(models.TextChoices):
    """standards.md: 部件先属主、后属地; 事件先属地、后属主. The rule says which comes first."""

    TERRITORIAL = "territorial", pgettext_lazy("责任规则", "属地")
    FUNCTIONAL = "functional", pgettext_lazy("责任规则", "属主")


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "hours", pgettext_lazy("时限单位", "工作时")
    WORKING_DAYS = "days", pgettext_lazy("时限单位", "工作日")


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def public(self):
        """What citizens may choose from and see (Open311 services)."""
        return self.filter(is_active=True, is_public=True)


class Category(TimeStamped):
    kind = models.CharField(_("类型"), max_length=16, choices=CategoryKind.choices)
    main_code = models.CharField(_("大类代码"), max_length=4)
    main_class = models.CharField(_("大类"), max_length=30)
    code = models.CharField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("小类名称"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    responsible_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主管（牵头）单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_categories",
    )
    responsibility_rule = models.CharField(
        _("责任规则"), max_length=16, choices=ResponsibilityRule.choices, default=ResponsibilityRule.TERRITORIAL
    )
    urgent_limit = models.PositiveIntegerField(_("紧急处置时限"), default=4)
    urgent_limit_unit = models.CharField(
        _("紧急时限单位"), max_length=8, choices=LimitUnit.choices, default=LimitUnit.WORKING_HOURS
    )
    normal_limit = models.PositiveIntegerField(_("一般处置时限"), default=3)
    normal_limit_unit = models.CharField(
        _("一般时限单位"), max_length=8, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    accept_standard = models.TextField(_("立案标准"), blank=True)
    close_standard = models.TextField(_("结案标准"), blank=True)
    duplicate_radius_m = models.PositiveIntegerField(_("重复判定半径（米）"), default=50)
    is_public = models.BooleanField(_("公众可报"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    seed_measure_number = models.PositiveSmallIntegerField(_("实施意见措施序号"), null=True, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["kind", "main_code", "order", "code"]

    def __str__(self) -> str:
        return f"{self.main_class} / {self.name}"

    def deadline_from(self, start: dt.datetime, *, urgent: bool = False) -> dt.datetime:
        """The handling deadline for a case dispatched at `start`, counted in working time (core.workcal)."""
        amount, unit = (
            (self.urgent_limit, self.urgent_limit_unit) if urgent else (self.normal_limit, self.normal_limit_unit)
        )
        if unit == LimitUnit.WORKING_HOURS:
            return workcal.add_working_hours(start, amount)
        return workcal.add_working_days(start, amount)


# ---------------------------------------------------------------------------------------------------------------
# Cases


class Channel(models.TextChoices):
    """Where a report came from (DESIGN.md §4; seed §41: 两代表一委员、志愿者队伍、新闻媒体)."""

    WEB = "web", pgettext_lazy("来源渠道", "网站")
    H5 = "h5", pgettext_lazy("来源渠道", "移动端 H5")
    HOTLINE = "hotline", pgettext_lazy("来源渠道", "热线")
    INSPECTOR = "inspector", pgettext_lazy("来源渠道", "督查员")
    MEDIA = "media", pgettext_lazy("来源渠道", "新闻媒体")
    DEPUTY = "deputy", pgettext_lazy("来源渠道", "两代表一委员")
    VOLUNTEER = "volunteer", pgettext_lazy("来源渠道", "志愿者")
    API = "api", pgettext_lazy("来源渠道", "接口")
    OPEN311 = "open311", pgettext_lazy("来源渠道", "Open311")
    INSPECTION = "inspection", pgettext_lazy("来源渠道", "实地测评")


# Crockford's base32: no I, L, O, U, so a code read over the phone is not mistyped.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_tracking_code() -> str:
    """"WM" + report date + 6 random base32 characters, e.g. WM20190930K7Q2XD: 30 bits per day, not guessable."""
    return f"WM{clock.today():%Y%m%d}" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))


def normalise_tracking_code(text: str) -> str:
    """What a citizen typed → the stored form (case, spaces, dashes and look-alike letters forgiven)."""
    code = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return code[:2] + code[2:].translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATES)

    def overdue(self, now: dt.datetime | None = None):
        """Work a unit holds past its deadline. Suspended cases stop the clock; handled ones await the office."""
        return self.filter(
            status__in=[Status.DISPATCHED, Status.IN_PROGRESS], due_at__lt=now or clock.now()
        )

    def for_unit(self, unit: OrgUnit):
        """Cases assigned to `unit` or any unit below it (a district sees its streets' cases)."""
        return self.filter(assigned_unit__in=[u.pk for u in unit.descendants_and_self()])

    def public(self):
        """What the public site may show: accepted cases in public categories (DESIGN.md §7)."""
        return self.filter(category__is_public=True).exclude(
            status__in=[Status.REPORTED, Status.REJECTED, Status.MERGED]
        )

    def in_period(self, start: dt.date | dt.datetime, end: dt.date | dt.datetime):
        """Reported in [start, end); dates are whole local days."""

        def moment(value):
            if isinstance(value, dt.datetime):
                return value
            return dt.datetime.combine(value, dt.time.min, tzinfo=workcal.tz())

        return self.filter(created_at__gte=moment(start), created_at__lt=moment(end))

    def by_tracking_code(self, text: str):
        return self.filter(tracking_code=normalise_tracking_code(text))


class Case(TimeStamped):
    tracking_code = models.CharField(_("查询码"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=100, blank=True)
    description = models.TextField(_("问题描述"))
    # No single-column index on category, street, district, assigned_unit: the composite indexes in Meta lead with
    # each of them and serve their lookups too, and every index is one more write per new report (issue #3 intake:
    # dropping the seven redundant ones took bench/intake.py from 381–434 to 433–450 reports/s).
    category = models.ForeignKey(
        Category, verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid_cell = models.ForeignKey(
        "geo.GridCell", verbose_name=_("单元网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "geo.Jurisdiction", verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    district = models.ForeignKey(
        "geo.Jurisdiction", verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    reporter_name = models.CharField(_("报告人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
    )
    is_urgent = models.BooleanField(_("紧急"), default=False)

    # Copies kept by workflow.transition(); the event log is the record.
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    assigned_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        db_index=False,
    )
    assignment_final = models.BooleanField(_("终审派遣"), default=False)
    due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    extension_requested_until = models.DateTimeField(_("申请延期至"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveIntegerField(_("退单次数"), default=0)
    extension_count = models.PositiveIntegerField(_("延期次数"), default=0)
    reopen_count = models.PositiveIntegerField(_("重办次数"), default=0)
    is_supervised = models.BooleanField(_("已督办"), default=False)
    is_exposed = models.BooleanField(_("已曝光"), default=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("合并至"), null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    # Unique by a constraint, not unique=True: on PostgreSQL the latter adds a second (LIKE) index nobody uses.
    idempotency_key = models.CharField(_("防重复提交键"), max_length=100, null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    accepted_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["assigned_unit", "status"], name="case_unit_status"),
            models.Index(fields=["category", "status"], name="case_category_status"),
            # Workbench lists at a million cases (issue #3 §4): every queue and filter the pages offer reads
            # newest first with (created_at, id) as the keyset, so each filter column leads an index ending so.
            models.Index(fields=["created_at", "id"], name="case_created_id"),
            models.Index(fields=["status", "created_at", "id"], name="case_status_created"),
            models.Index(fields=["district", "created_at"], name="case_district_created"),
            models.Index(fields=["street", "created_at"], name="case_street_created"),
            models.Index(fields=["channel", "created_at"], name="case_channel_created"),
            # A unit's workbench reads its cases by deadline; the overdue queue reads (status, due_at) above.
            models.Index(fields=["assigned_unit", "due_at"], name="case_unit_due"),
            models.Index(fields=["due_at"], name="case_due"),
            # Month and quarter metrics select by when a case entered the loop (assessments.metrics).
            models.Index(fields=["accepted_at"], name="case_accepted"),
            models.Index(fields=["dispatched_at"], name="case_dispatched"),
            # Rare flags: partial indexes stay small and serve the supervised / exposed / extension queues.
            models.Index(
                fields=["created_at"], condition=models.Q(is_supervised=True), name="case_supervised_created"
            ),
            models.Index(fields=["created_at"], condition=models.Q(is_exposed=True), name="case_exposed_created"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(extension_requested_until__isnull=False),
                name="case_extension_pending",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="case_idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title or self.category.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return (
            self.status in (Status.DISPATCHED, Status.IN_PROGRESS)
            and self.due_at is not None
            and self.due_at < (now or clock.now())
        )

    @property
    def reporter_phone_masked(self) -> str:
        """DESIGN.md §7: the public never sees a reporter's full number (138****5678)."""
        phone = self.reporter_phone
        return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else ("****" if phone else "")

    def public_events(self):
        return self.events.filter(public=True).order_by("at", "pk")


# ---------------------------------------------------------------------------------------------------------------
# The event log: append-only (DESIGN.md §7; seed §13 全程留痕、信息可追溯)


class AppendOnlyError(ValidationError):
    pass


class CaseEvent(models.Model):
    # Indexed by case_event_case_at (case, at), which serves every lookup by case: no single-column index.
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="events",
                             db_index=False)
    action = models.CharField(_("操作"), max_length=24, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
    )
    actor_role = models.CharField(_("操作角色"), max_length=16, choices=Actor.choices)
    actor_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("操作单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="case_events"
    )
    at = models.DateTimeField(_("时间"), default=clock.now)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    public = models.BooleanField(_("公开"), default=False)

    class Meta:
        verbose_name = _("案件办理记录")
        verbose_name_plural = _("案件办理记录")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["case", "at"], name="case_event_case_at"),
            # Period metrics read events of one action in a date range (退单 per unit, assessments.metrics).
            models.Index(fields=["action", "at"], name="case_event_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case.tracking_code} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(_("办理记录只能追加，不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("办理记录只能追加，不能删除"))


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    moment = clock.now()
    return f"cases/{moment:%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


class CaseAttachment(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", pgettext_lazy("附件类型", "处置前")
        AFTER = "after", pgettext_lazy("附件类型", "处置后")
        EVIDENCE = "evidence", pgettext_lazy("附件类型", "佐证材料")

    event = models.ForeignKey(CaseEvent, verbose_name=_("办理记录"), on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.EVIDENCE)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("上传时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("案件附件")
        verbose_name_plural = _("案件附件")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


# ---------------------------------------------------------------------------------------------------------------
# In-app notifications (issue #3 §3: dispatch, 督办, overdue, extension decisions, 返工). Written by
# `notifications.py` after `workflow.transition()` returns, never from save() or signals (STYLE.md).


class NotificationKind(models.TextChoices):
    DISPATCH = "dispatch", pgettext_lazy("通知类型", "派遣")
    SUPERVISE = "supervise", pgettext_lazy("通知类型", "督办")
    OVERDUE = "overdue", pgettext_lazy("通知类型", "超期督办")
    EXTENSION_APPROVED = "extension_approved", pgettext_lazy("通知类型", "延期已批准")
    EXTENSION_DENIED = "extension_denied", pgettext_lazy("通知类型", "延期被驳回")
    REWORK = "rework", pgettext_lazy("通知类型", "返工")
    MERGED = "merged", pgettext_lazy("通知类型", "案件合并")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("接收单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("办理记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    message = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), default=clock.now, editable=False)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox")]
        constraints = [
            # One notice per person per event and kind: a sweep that runs twice, or two workers, notify once.
            models.UniqueConstraint(
                fields=["recipient", "event", "kind"],
                condition=models.Q(event__isnull=False),
                name="notification_once_per_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.get_kind_display()} {self.case.tracking_code}"
