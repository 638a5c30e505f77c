"""Assessment configuration (DESIGN.md §3: weights, bands and thresholds are data, never constants in code).

A `MetricScheme` holds the composite score (综合指标值) of the digital city-management practice in
standards.md — one city's form: a case-volume score + 结案率×0.3 + 按期处置率×0.3 + (100 − 返工率)×0.3, graded
A ≥ 90, B 75–<90, C 60–<75, D 40–<60, E < 40 — and the minimum case count below which a unit is not ranked.
Other cities weight differently, so every weight is a field; the defaults are the standards.md example.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.core.models import TimeStamped

# standards.md, digital city management: A ≥ 90, B 75–<90, C 60–<75, D 40–<60, E < 40.
DEFAULT_GRADE_BANDS = [{"grade": "A", "min": 90}, {"grade": "B", "min": 75}, {"grade": "C", "min": 60}, {"grade": "D", "min": 40}]
DEFAULT_LOWEST_GRADE = "E"
# GB/T 39734-2020 levels as stored by the workflow: 5 非常满意, 4 满意, 3 基本满意 count as satisfied.
DEFAULT_SATISFIED_LEVELS = [3, 4, 5]
DEFAULT_SCHEME_NAME = "数字城管综合指标值（默认）"


def default_grade_bands() -> list[dict]:
    return [dict(b) for b in DEFAULT_GRADE_BANDS]


def default_satisfied_levels() -> list[int]:
    return list(DEFAULT_SATISFIED_LEVELS)


class MetricSchemeQuerySet(models.QuerySet):
    def for_date(self, day: dt.date) -> MetricScheme | None:
        """The scheme for the year `day` falls in, else the active one without a year, else any active one."""
        return (
            self.filter(year=day.year, is_active=True).order_by("-pk").first()
            or self.filter(year__isnull=True, is_active=True).order_by("-pk").first()
            or self.filter(is_active=True).order_by("-year", "-pk").first()
        )


def _weight(verbose: str, default: str):
    return models.DecimalField(verbose, max_digits=5, decimal_places=3, default=Decimal(default))


class MetricScheme(TimeStamped):
    name = models.CharField(_("方案名称"), max_length=100, unique=True)
    year = models.PositiveSmallIntegerField(
        _("适用年度"), null=True, blank=True, help_text=_("留空表示各年度通用；同一年度有专门方案时优先使用")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    volume_points = models.DecimalField(
        _("案件量得分满分"), max_digits=5, decimal_places=2, default=Decimal("10"),
        help_text=_("应结案数达到“案件量满分基数”时得满分，不足按比例计分"),
    )
    volume_full_count = models.PositiveIntegerField(_("案件量满分基数"), default=100)
    weight_closure = _weight(_("结案率权重"), "0.3")
    weight_ontime_handling = _weight(_("按期处置率权重"), "0.3")
    weight_rework = _weight(_("（100−返工率）权重"), "0.3")
    weight_ontime_closure = _weight(_("按期结案率权重"), "0")
    weight_return = _weight(_("（100−退单率）权重"), "0")
    weight_satisfaction = _weight(_("满意率权重"), "0")
    grade_bands = models.JSONField(
        _("等级划分"), default=default_grade_bands,
        help_text=_("从高到低，如 [{\"grade\": \"A\", \"min\": 90}, …]；低于最后一档为“最低等级”"),
    )
    lowest_grade = models.CharField(_("最低等级"), max_length=8, default=DEFAULT_LOWEST_GRADE)
    min_cases = models.PositiveIntegerField(
        _("参与排名最低案件数"), default=10, help_text=_("应结案数低于此数的单位不参与排名，单列“案件数不足”")
    )
    satisfied_levels = models.JSONField(
        _("计为满意的回访等级"), default=default_satisfied_levels,
        help_text=_("5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意"),
    )
    note = models.TextField(_("说明"), blank=True)

    objects = MetricSchemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核指标方案")
        verbose_name_plural = _("考核指标方案")
        ordering = ["-is_active", "-year", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.year}）" if self.year else self.name

    def clean(self) -> None:
        bands = self.grade_bands
        ok = isinstance(bands, list) and all(
            isinstance(b, dict) and str(b.get("grade", "")).strip() and isinstance(b.get("min"), int | float)
            for b in bands
        )
        if not ok:
            raise ValidationError({"grade_bands": _("等级划分格式应为 [{\"grade\": \"A\", \"min\": 90}, …]")})
        mins = [b["min"] for b in bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValidationError({"grade_bands": _("等级下限须从高到低排列且互不相同")})
        levels = self.satisfied_levels
        if not isinstance(levels, list) or not levels or any(lv not in (1, 2, 3, 4, 5) for lv in levels):
            raise ValidationError({"satisfied_levels": _("满意等级应为 1–5 中的若干个数字")})

    @property
    def weights(self) -> dict[str, Decimal]:
        """Rate components and their weights; each rate is on a 0–100 scale (返工率/退单率 enter as 100 − rate)."""
        return {
            "closure_rate": self.weight_closure,
            "ontime_handling_rate": self.weight_ontime_handling,
            "rework_rate": self.weight_rework,
            "ontime_closure_rate": self.weight_ontime_closure,
            "return_rate": self.weight_return,
            "satisfaction_rate": self.weight_satisfaction,
        }

    def grade_for(self, score: Decimal | None) -> str | None:
        """Grade band of a (rounded) score: the first band whose minimum it reaches; a boundary belongs upward."""
        if score is None:
            return None
        for band in self.grade_bands:
            if score >= Decimal(str(band["min"])):
                return str(band["grade"])
        return self.lowest_grade


def ensure_default_scheme(model=None) -> MetricScheme:
    """Create the standards.md default scheme once; later runs change nothing (also used by the data migration)."""
    model = model or MetricScheme
    scheme, _created = model.objects.get_or_create(
        name=DEFAULT_SCHEME_NAME,
        defaults={
            "note": "standards.md 数字化城管：案件量得分 + 结案率×0.3 + 按期处置率×0.3 + (100−返工率)×0.3；"
            "A≥90，B≥75，C≥60，D≥40，其余为 E。",
        },
    )
    return scheme


# ---------------------------------------------------------------------------------------------------------------
# Periodic products (seed §38/§41: 一周一观察、一月一分析、一季一通报、一年一考核) and their configuration


class ProductKind(models.TextChoices):
    WEEKLY = "weekly", pgettext_lazy("考评产品", "周观察")
    MONTHLY = "monthly", pgettext_lazy("考评产品", "月分析")
    QUARTERLY = "quarterly", pgettext_lazy("考评产品", "季通报")
    ANNUAL = "annual", pgettext_lazy("考评产品", "年考核")


class ProductStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("产品状态", "草稿")
    REVIEW = "review", pgettext_lazy("产品状态", "待审核")
    PUBLISHED = "published", pgettext_lazy("产品状态", "已发布")


class JobState(models.TextChoices):
    IDLE = "idle", pgettext_lazy("生成任务", "未生成")
    QUEUED = "queued", pgettext_lazy("生成任务", "排队中")
    RUNNING = "running", pgettext_lazy("生成任务", "生成中")
    DONE = "done", pgettext_lazy("生成任务", "已完成")
    FAILED = "failed", pgettext_lazy("生成任务", "生成失败")


#: Job states during which a second generation is refused (one wins; the other is told).
BUSY_STATES = (JobState.QUEUED, JobState.RUNNING)


class FrozenProductError(ValidationError):
    pass


class ProductQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ProductStatus.PUBLISHED)

    def of(self, kind: str, period_key: str):
        return self.filter(kind=kind, period_key=period_key)

    def latest_version(self, kind: str, period_key: str) -> Product | None:
        return self.of(kind, period_key).order_by("-version").first()


class Product(TimeStamped):
    """One version of one periodic product. Renderers read only `snapshot`, never live data (DESIGN.md §3
    "Published products are frozen"): once published, the row, its snapshot and its files are never written
    again; a correction is a new version (`correction_of`, `change_note`)."""

    kind = models.CharField(_("产品类型"), max_length=16, choices=ProductKind.choices)
    period_key = models.CharField(_("周期"), max_length=16, help_text=_("如 2026-W47、2026-11、2026-Q3、2026"))
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束（不含）"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    snapshot = models.JSONField(_("数据快照"), default=dict, blank=True)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("送审时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("送审人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    doc_year = models.PositiveSmallIntegerField(_("文号年份"), null=True, blank=True)
    doc_seq = models.PositiveIntegerField(_("文号序号"), null=True, blank=True)
    document_number = models.CharField(_("发文字号"), max_length=50, blank=True)
    correction_of = models.ForeignKey(
        "self", verbose_name=_("更正的版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    change_note = models.TextField(_("更正说明"), blank=True)
    docx = models.FileField(_("Word 文档"), upload_to="assessments/products/", max_length=200, blank=True)
    xlsx = models.FileField(_("Excel 工作簿"), upload_to="assessments/products/", max_length=200, blank=True)
    # The running job (htmx polls these): who holds the job is `job_token`; a stale job cannot save over a newer one.
    job_state = models.CharField(_("生成任务"), max_length=16, choices=JobState.choices, default=JobState.IDLE)
    job_token = models.CharField(max_length=32, blank=True, editable=False)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    progress_message = models.CharField(_("进度说明"), max_length=200, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("考评产品")
        verbose_name_plural = _("考评产品")
        ordering = ["-period_start", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_key", "version"], name="product_kind_period_version"),
            models.UniqueConstraint(
                fields=["doc_year", "doc_seq"], name="product_document_number",
                condition=models.Q(doc_seq__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["kind", "period_key"])]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.period_key}"

    @property
    def is_published(self) -> bool:
        return self.status == ProductStatus.PUBLISHED

    @property
    def is_busy(self) -> bool:
        return self.job_state in BUSY_STATES

    @property
    def version_label(self) -> str:
        return _("第%(n)s版") % {"n": self.version}

    def save(self, *args, **kwargs):
        # A guard, not a state change: what was published is what the city was told (DESIGN.md §3).
        if self.pk and Product.objects.filter(pk=self.pk, status=ProductStatus.PUBLISHED).exists():
            raise FrozenProductError(_("该产品已发布，内容已冻结，不能修改；如需更正，请创建更正版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == ProductStatus.PUBLISHED:
            raise FrozenProductError(_("已发布的产品不能删除。"))
        return super().delete(*args, **kwargs)


class PublishingSettings(TimeStamped):
    """How products are issued (GB/T 9704 发文机关标志, 发文字号) and how long their lists are; one row is used
    (the newest). Configuration, not constants (DESIGN.md §3)."""

    issuer = models.CharField(
        _("发文机关"), max_length=100, default="株洲市精神文明建设指导委员会办公室",
        help_text=_("版头发文机关标志与落款"),
    )
    number_prefix = models.CharField(_("发文字号机关代字"), max_length=20, default="株文明办", help_text=_("如：株文明办"))
    city_name = models.CharField(_("城市名称"), max_length=30, default="株洲市")
    worst_points = models.PositiveSmallIntegerField(_("周观察列出得分率最低点位数"), default=10)
    photos_per_point = models.PositiveSmallIntegerField(_("每个点位附照片数"), default=2)
    top_n = models.PositiveSmallIntegerField(_("月分析问题类别与地点列出数"), default=10)
    praise_count = models.PositiveSmallIntegerField(_("季通报表扬单位数"), default=3)
    criticism_count = models.PositiveSmallIntegerField(_("季通报批评单位数"), default=3)

    class Meta:
        verbose_name = _("发文设置")
        verbose_name_plural = _("发文设置")

    def __str__(self) -> str:
        return f"{self.issuer}（{self.number_prefix}）"

    @classmethod
    def current(cls) -> PublishingSettings:
        return cls.objects.order_by("-pk").first() or cls()


def default_annual_bands() -> list[dict]:
    return [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 80}, {"grade": "合格", "min": 60}]


class ScoringModel(TimeStamped):
    """年考核 scoring model, one per year: weights over target completion (plans), the case composite (case
    loop), inspection score rates (inspections) and the office's own inputs, grade bands, and who takes part.

    Each component is on a 0–100 scale. A component that cannot be measured for a unit (no targets, no cases
    due, no points inspected, no office input) is left out and the other weights are scaled up to the same total,
    as `metrics.composite_score` does: a unit is neither rewarded nor punished for what could not be measured.
    """

    year = models.PositiveSmallIntegerField(_("考核年度"), unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    weight_targets = _weight(_("目标任务完成率权重"), "0.4")
    weight_cases = _weight(_("案件综合指标值权重"), "0.3")
    weight_inspections = _weight(_("实地测评得分率权重"), "0.2")
    weight_office = _weight(_("创文办评价权重"), "0.1")
    bands = models.JSONField(
        _("等次划分"), default=default_annual_bands,
        help_text=_("从高到低，如 [{\"grade\": \"优秀\", \"min\": 90}, …]；低于最后一档为“最低等次”"),
    )
    lowest_grade = models.CharField(_("最低等次"), max_length=8, default="不合格")
    units = models.ManyToManyField(
        "accounts.OrgUnit", verbose_name=_("参加考核单位"), blank=True, related_name="+",
        help_text=_("留空表示有考核数据的全部单位"),
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("年度考核模型")
        verbose_name_plural = _("年度考核模型")
        ordering = ["-year"]

    def __str__(self) -> str:
        return self.name or _("%(y)s年度考核模型") % {"y": self.year}

    @property
    def weights(self) -> dict[str, Decimal]:
        return {
            "targets": self.weight_targets,
            "cases": self.weight_cases,
            "inspections": self.weight_inspections,
            "office": self.weight_office,
        }

    def clean(self) -> None:
        bands = self.bands
        ok = isinstance(bands, list) and all(
            isinstance(b, dict) and str(b.get("grade", "")).strip() and isinstance(b.get("min"), int | float)
            for b in bands
        )
        if not ok:
            raise ValidationError({"bands": _("等次划分格式应为 [{\"grade\": \"优秀\", \"min\": 90}, …]")})
        mins = [b["min"] for b in bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValidationError({"bands": _("等次下限须从高到低排列且互不相同")})
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValidationError(_("权重不能为负，且至少有一项大于零"))

    def grade_for(self, score: Decimal | None) -> str | None:
        if score is None:
            return None
        for band in self.bands:
            if score >= Decimal(str(band["min"])):
                return str(band["grade"])
        return self.lowest_grade


class OfficeInput(TimeStamped):
    """创文办评价: a score (0–100) the office enters for a unit or a district for a year, per item (e.g. 材料审核,
    问卷调查). The year's office component is the mean of the items."""

    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    district = models.ForeignKey(
        "geo.Jurisdiction", verbose_name=_("区县"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item = models.CharField(_("评价项目"), max_length=50, help_text=_("如：材料审核、问卷调查"))
    score = models.DecimalField(
        _("得分（0–100）"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("创文办评价")
        verbose_name_plural = _("创文办评价")
        ordering = ["-year", "item"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False) | models.Q(district__isnull=False), name="office_input_subject"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=100), name="office_input_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit or self.district} {self.item} {self.score}"

    def clean(self) -> None:
        if not self.unit_id and not self.district_id:
            raise ValidationError(_("请选择单位或区县"))


# ---------------------------------------------------------------------------------------------------------------
# Accountability (seed §41: 强化工作约谈和问责机制)


class RuleKind(models.TextChoices):
    LAST_IN_BULLETIN = "last_in_bulletin", pgettext_lazy("问责规则", "季通报排名连续末位")
    ONTIME_BELOW = "ontime_below", pgettext_lazy("问责规则", "按期结案率低于阈值")
    TARGET_OVERDUE = "target_overdue", pgettext_lazy("问责规则", "目标任务逾期")


class AccountabilityRule(TimeStamped):
    """A rule that opens 约谈 records when a quarterly bulletin is generated. Parameters by kind:

    - last_in_bulletin: {"positions": 1, "consecutive": 2} — among the last `positions` ranked units in
      `consecutive` quarterly bulletins running;
    - ontime_below: {"metric": "ontime_closure_rate", "threshold": 60, "min_cases": 10} — a rate (0–100) under the
      threshold in the quarter, for units with at least `min_cases` cases due;
    - target_overdue: {"min_targets": 1} — leads at least that many targets overdue at the quarter's end.

    "escalate_on_repeat": true also opens a 问责 record when the same rule caught the unit in the previous quarter.
    """

    name = models.CharField(_("规则名称"), max_length=100, unique=True)
    kind = models.CharField(_("规则类型"), max_length=32, choices=RuleKind.choices)
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("约谈问责规则")
        verbose_name_plural = _("约谈问责规则")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def param(self, key: str, default):
        value = (self.parameters or {}).get(key, default)
        return default if value is None else value


class InterviewStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("约谈状态", "待约谈")
    DONE = "done", pgettext_lazy("约谈状态", "已约谈，跟踪整改")
    CLOSED = "closed", pgettext_lazy("约谈状态", "已办结")
    ESCALATED = "escalated", pgettext_lazy("约谈状态", "已转问责")


class InterviewQuerySet(models.QuerySet):
    def for_unit(self, unit):
        return self.filter(unit=unit)

    def open(self):
        return self.exclude(status=InterviewStatus.CLOSED)


class Interview(TimeStamped):
    """约谈: who (unit), why (rule and reason), when, who interviews, the commitments made, follow-up, outcome."""

    unit = models.ForeignKey("accounts.OrgUnit", verbose_name=_("约谈单位"), on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(
        AccountabilityRule, verbose_name=_("触发规则"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="interviews",
    )
    period_key = models.CharField(_("触发周期"), max_length=16)
    product = models.ForeignKey(
        Product, verbose_name=_("所涉通报"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("约谈事由"))
    evidence = models.JSONField(_("触发数据"), default=dict, blank=True)
    scheduled_at = models.DateTimeField(_("约谈时间"), null=True, blank=True)
    interviewer = models.CharField(_("约谈人"), max_length=100, blank=True)
    commitments = models.TextField(_("整改承诺"), blank=True)
    follow_up = models.TextField(_("跟踪督办情况"), blank=True)
    outcome = models.TextField(_("整改结果"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=InterviewStatus.choices, default=InterviewStatus.OPEN)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = InterviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("约谈记录")
        verbose_name_plural = _("约谈记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A rule never opens a second record for the same unit and period, however often it runs.
            models.UniqueConstraint(
                fields=["unit", "rule", "period_key"], name="interview_unit_rule_period",
                condition=models.Q(rule__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return _("约谈 %(unit)s（%(p)s）") % {"unit": self.unit, "p": self.period_key}


class AccountabilityLevel(models.TextChoices):
    CRITICISM = "criticism", pgettext_lazy("问责方式", "通报批评")
    ADMONITION = "admonition", pgettext_lazy("问责方式", "诫勉谈话")
    INSPECTION_ORDER = "order", pgettext_lazy("问责方式", "责令检查")
    DISCIPLINE = "discipline", pgettext_lazy("问责方式", "移送纪检监察机关")


class Accountability(TimeStamped):
    """问责: the escalation of an interview whose commitments were not kept, or of a repeated rule hit."""

    unit = models.ForeignKey("accounts.OrgUnit", verbose_name=_("问责单位"), on_delete=models.PROTECT, related_name="+")
    interview = models.ForeignKey(
        Interview, verbose_name=_("所涉约谈"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="escalations",
    )
    rule = models.ForeignKey(
        AccountabilityRule, verbose_name=_("触发规则"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_key = models.CharField(_("触发周期"), max_length=16)
    level = models.CharField(_("问责方式"), max_length=16, choices=AccountabilityLevel.choices,
                             default=AccountabilityLevel.CRITICISM)
    reason = models.TextField(_("问责事由"))
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.CharField(_("决定机关"), max_length=100, blank=True)
    outcome = models.TextField(_("落实情况"), blank=True)

    class Meta:
        verbose_name = _("问责记录")
        verbose_name_plural = _("问责记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "rule", "period_key"], name="accountability_unit_rule_period",
                condition=models.Q(rule__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return _("问责 %(unit)s（%(p)s）") % {"unit": self.unit, "p": self.period_key}
