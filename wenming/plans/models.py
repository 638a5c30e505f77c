"""Plan → Section → Measure → Responsibility → Target, and ProgressReport (DESIGN.md §2, §8; seed §38, §41 一单四制)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.accounts.models import Leader, OrgUnit, User
from wenming.core import clock
from wenming.core.models import TimeStamped
from wenming.geo.models import Jurisdiction


class ReportFrequency(models.TextChoices):
    MONTHLY = "monthly", pgettext_lazy("报送周期", "每月")
    QUARTERLY = "quarterly", pgettext_lazy("报送周期", "每季度")


class Plan(TimeStamped):
    title = models.CharField(_("标题"), max_length=200)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    starts_on = models.DateField(_("起始日期"), help_text=_("进度线性推算的起点"))
    ends_on = models.DateField(_("截止日期"), help_text=_("未写明时限的目标以此为截止"))
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("适用辖区"), null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    report_frequency = models.CharField(
        _("进度报送周期"), max_length=16, choices=ReportFrequency.choices, default=ReportFrequency.MONTHLY
    )
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    source_text = models.TextField(_("原文"), blank=True)
    source_sha256 = models.CharField(_("原文摘要"), max_length=64, db_index=True)
    is_default = models.BooleanField(_("默认方案"), default=False)

    class Meta:
        verbose_name = _("实施方案")
        verbose_name_plural = _("实施方案")
        ordering = ["-is_default", "-issued_on", "title"]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=200)

    class Meta:
        verbose_name = _("部分")
        verbose_name_plural = _("部分")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="section_number_unique")]

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="measures")
    section = models.ForeignKey(Section, verbose_name=_("部分"), on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)

    class Meta:
        verbose_name = _("措施")
        verbose_name_plural = _("措施")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="measure_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Responsibility(models.Model):
    """一单: who answers for a measure. Collective phrases (各区政府) are kept as written and resolved to units."""

    measure = models.OneToOneField(
        Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="responsibility"
    )
    lead_leaders = models.ManyToManyField(Leader, verbose_name=_("牵头领导"), blank=True, related_name="responsibilities")
    lead_units = models.ManyToManyField(OrgUnit, verbose_name=_("牵头单位"), blank=True, related_name="led_responsibilities")
    member_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("成员单位"), blank=True, related_name="member_responsibilities"
    )
    raw_text = models.TextField(_("原文"), blank=True)
    member_phrases = models.JSONField(_("集体表述"), default=list, blank=True, help_text=_("如 各区政府、市直各部门"))

    class Meta:
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")

    def __str__(self) -> str:
        return str(self.measure)


class Comparator(models.TextChoices):
    GTE = "gte", pgettext_lazy("比较", "不低于")
    EQ = "eq", pgettext_lazy("比较", "等于")
    LTE = "lte", pgettext_lazy("比较", "不高于")
    REDUCE = "reduce", pgettext_lazy("比较", "下降")


class Recurrence(models.TextChoices):
    NONE = "", pgettext_lazy("周期", "一次性")
    YEARLY = "yearly", pgettext_lazy("周期", "每年")
    TRIENNIAL = "triennial", pgettext_lazy("周期", "每三年")


class TargetQuerySet(models.QuerySet):
    def for_unit(self, unit: OrgUnit):
        return self.filter(
            models.Q(measure__responsibility__lead_units=unit) | models.Q(measure__responsibility__member_units=unit)
        ).distinct()

    def led_by_unit(self, unit: OrgUnit):
        return self.filter(measure__responsibility__lead_units=unit).distinct()

    def for_leader(self, leader: Leader):
        return self.filter(measure__responsibility__lead_leaders=leader).distinct()


class Target(models.Model):
    """A quantified commitment (value + unit + comparator) or, when value is empty, a milestone done by its date."""

    measure = models.ForeignKey(Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="targets")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    text = models.TextField(_("原文"))
    metric = models.CharField(_("指标"), max_length=200)
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    comparator = models.CharField(_("比较方式"), max_length=8, choices=Comparator.choices, default=Comparator.GTE)
    baseline = models.DecimalField(
        _("基线值"), max_digits=14, decimal_places=4, null=True, blank=True, help_text=_("线性推算的起点，空为 0")
    )
    starts_on = models.DateField(_("起始日期"))
    deadline = models.DateField(_("完成时限"))
    recurrence = models.CharField(_("周期"), max_length=16, choices=Recurrence.choices, blank=True, default="")

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["measure__plan", "measure__number", "order"]

    def __str__(self) -> str:
        return self.metric

    @property
    def is_milestone(self) -> bool:
        return self.value is None


class ProgressReportQuerySet(models.QuerySet):
    def latest_first(self):
        return self.order_by("-period_start", "-submitted_at", "-pk")


class ProgressReport(models.Model):
    """进度报送: a unit's value for a target in a reporting period. Never edited: a new report supersedes."""

    target = models.ForeignKey(Target, verbose_name=_("目标"), on_delete=models.CASCADE, related_name="reports")
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="progress_reports")
    period_start = models.DateField(_("报送期"), help_text=_("周期的第一天"))
    value = models.DecimalField(_("完成值"), max_digits=14, decimal_places=4, null=True, blank=True)
    done = models.BooleanField(_("已完成"), default=False, help_text=_("节点类目标"))
    note = models.TextField(_("说明"), blank=True)
    submitted_by = models.ForeignKey(User, verbose_name=_("报送人"), null=True, on_delete=models.SET_NULL)
    submitted_at = models.DateTimeField(_("报送时间"), default=clock.now)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("进度报送")
        verbose_name_plural = _("进度报送")
        ordering = ["-period_start", "-submitted_at"]
        indexes = [models.Index(fields=["target", "period_start"])]

    def __str__(self) -> str:
        return f"{self.target} {self.period_start:%Y-%m}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.report.target_id}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Evidence(models.Model):
    report = models.ForeignKey(ProgressReport, verbose_name=_("进度报送"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    extension = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.original_name


class ImportRun(models.Model):
    """A record of each import attempt (STYLE.md: importers keep a record of each run)."""

    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_runs")
    source_name = models.CharField(_("来源文件"), max_length=255)
    source_sha256 = models.CharField(max_length=64)
    started_at = models.DateTimeField(default=clock.now)
    outcome = models.CharField(_("结果"), max_length=20)
    summary = models.JSONField(_("摘要"), default=dict)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source_name} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"
