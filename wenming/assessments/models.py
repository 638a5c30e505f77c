"""Assessment configuration (DESIGN.md §3: weights, bands and thresholds are data, never constants in code).

A `MetricScheme` holds the composite score (综合指标值) of the digital city-management practice in
standards.md — one city's form: a case-volume score + 结案率×0.3 + 按期处置率×0.3 + (100 − 返工率)×0.3, graded
A ≥ 90, B 75–<90, C 60–<75, D 40–<60, E < 40 — and the minimum case count below which a unit is not ranked.
Other cities weight differently, so every weight is a field; the defaults are the standards.md example.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
