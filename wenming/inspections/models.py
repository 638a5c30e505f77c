"""Field inspections (DESIGN.md §5): point types, points, versioned checklists, rounds, inspections, item scores,
and the grade bands farmers' markets are published with (seed §25 农贸市场管理量化分级).

Point types follow the national evaluation manual's field-inspection list (standards.md, 2021 manual). A checklist
is per point type and year; once a round has pinned it (`frozen_at`), it never changes again: a changed standard
is a new version (`services.checklist_item_update`), so a round's scores always mean what they meant on the day.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.accounts.models import OrgUnit
from wenming.core import clock
from wenming.core.models import TimeStamped

# ---------------------------------------------------------------------------------------------------------------
# Point types and points


class PointType(TimeStamped):
    """One of the manual's field-inspection point types (standards.md). `graded` types get a published grade."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    manual_name = models.CharField(_("测评手册名称"), max_length=30, blank=True, help_text=_("如：集贸市场"))
    graded = models.BooleanField(_("公布量化分级"), default=False, help_text=_("实施意见第25条：农贸市场量化分级并定期公布"))
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("点位类型")
        verbose_name_plural = _("点位类型")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class InspectionPointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def graded(self):
        return self.filter(point_type__graded=True)


class InspectionPoint(TimeStamped):
    point_type = models.ForeignKey(
        PointType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="points"
    )
    name = models.CharField(_("点位名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    # Copied from geo.locate when the point is saved through services.point_locate (DESIGN.md §2 属地).
    grid_cell = models.ForeignKey(
        "geo.GridCell", verbose_name=_("单元网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    street = models.ForeignKey(
        "geo.Jurisdiction", verbose_name=_("街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district = models.ForeignKey(
        "geo.Jurisdiction", verbose_name=_("区县"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_points",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    objects = InspectionPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评点位")
        verbose_name_plural = _("测评点位")
        ordering = ["point_type__order", "name"]
        constraints = [models.UniqueConstraint(fields=["point_type", "name"], name="inspection_point_type_name")]

    def __str__(self) -> str:
        return f"{self.name}（{self.point_type}）"


# ---------------------------------------------------------------------------------------------------------------
# Checklists (测评标准), versioned per point type and year


class Method(models.TextChoices):
    """standards.md: 测评方法 — 材料审核, 问卷调查, 实地考察; field practice adds 暗访."""

    FIELD = "field", pgettext_lazy("测评方法", "实地察看")
    COVERT = "covert", pgettext_lazy("测评方法", "暗访")
    QUESTIONNAIRE = "questionnaire", pgettext_lazy("测评方法", "问卷调查")
    MATERIAL = "material", pgettext_lazy("测评方法", "材料审核")


class FrozenChecklistError(ValidationError):
    pass


class ChecklistQuerySet(models.QuerySet):
    def for_year(self, point_type: PointType, year: int) -> Checklist | None:
        """The checklist a round in `year` uses: the newest version of the latest year not after `year`
        (a new year keeps last year's standards until the office issues new ones)."""
        qs = self.filter(point_type=point_type, is_active=True)
        return qs.filter(year__lte=year).order_by("-year", "-version").first() or qs.order_by("year", "-version").first()


class Checklist(TimeStamped):
    point_type = models.ForeignKey(
        PointType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="checklists"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    title = models.CharField(_("标题"), max_length=100, blank=True)
    note = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    frozen_at = models.DateTimeField(
        _("冻结时间"), null=True, blank=True, editable=False, help_text=_("被测评轮次使用后冻结，修改须另建新版本")
    )
    previous = models.ForeignKey(
        "self", verbose_name=_("上一版本"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评标准")
        verbose_name_plural = _("测评标准")
        ordering = ["point_type__order", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["point_type", "year", "version"], name="checklist_type_year_version")
        ]

    def __str__(self) -> str:
        return f"{self.point_type} {self.year} 第{self.version}版"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def total_points(self) -> Decimal:
        return sum((i.points for i in self.items.all()), Decimal(0))


class ChecklistItem(models.Model):
    """A countable standard (standards.md: e.g. 5 public-service ads within 300 m walked on a main road)."""

    checklist = models.ForeignKey(Checklist, verbose_name=_("测评标准"), on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("编号"), max_length=20)
    text = models.TextField(_("测评标准内容"))
    points = models.DecimalField(
        _("分值"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.1"))]
    )
    method = models.CharField(_("测评方法"), max_length=16, choices=Method.choices, default=Method.FIELD)
    category_name = models.CharField(
        _("对应问题类别"), max_length=50, blank=True, help_text=_("不达标时按此名称生成案件（问题类别小类名称）")
    )
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评标准条目")
        verbose_name_plural = _("测评标准条目")
        ordering = ["checklist", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["checklist", "code"], name="checklist_item_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"

    def save(self, *args, **kwargs):
        # A guard, not a state change: a frozen checklist is what past rounds were scored against.
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self):
        checklist_id = self.checklist_id
        if checklist_id and Checklist.objects.filter(pk=checklist_id, frozen_at__isnull=False).exists():
            raise FrozenChecklistError(_("该测评标准已被测评轮次使用，不能修改；请另建新版本"))


class GradeBand(TimeStamped):
    """Grade thresholds for graded point types (seed §25), configuration rather than constants (DESIGN.md §3)."""

    point_type = models.ForeignKey(
        PointType, verbose_name=_("点位类型"), on_delete=models.CASCADE, related_name="grade_bands"
    )
    grade = models.CharField(_("等级"), max_length=8)
    label = models.CharField(_("等级名称"), max_length=20, blank=True)
    min_rate = models.DecimalField(_("得分率下限（%）"), max_digits=5, decimal_places=2, help_text=_("得分率不低于此值即为该等级"))

    class Meta:
        verbose_name = _("分级标准")
        verbose_name_plural = _("分级标准")
        ordering = ["point_type", "-min_rate"]
        constraints = [models.UniqueConstraint(fields=["point_type", "grade"], name="grade_band_type_grade")]

    def __str__(self) -> str:
        return f"{self.point_type} {self.grade} ≥ {self.min_rate}%"


# ---------------------------------------------------------------------------------------------------------------
# Rounds, inspections, scores


class RoundStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("测评轮次状态", "计划中")
    IN_PROGRESS = "in_progress", pgettext_lazy("测评轮次状态", "测评中")
    CLOSED = "closed", pgettext_lazy("测评轮次状态", "已结束")


class RoundQuerySet(models.QuerySet):
    def closed(self):
        return self.filter(status=RoundStatus.CLOSED)

    def for_inspector(self, user):
        return self.filter(inspectors=user)


class Round(TimeStamped):
    name = models.CharField(_("轮次名称"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.PLANNED)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("测评员"), blank=True, related_name="inspection_rounds"
    )
    # How the points were chosen, kept so the selection can be explained and repeated.
    point_types = models.ManyToManyField(PointType, verbose_name=_("点位类型"), blank=True, related_name="+")
    districts = models.ManyToManyField("geo.Jurisdiction", verbose_name=_("区县"), blank=True, related_name="+")
    sample_per_type = models.PositiveIntegerField(_("每类抽取点位数"), default=0, help_text=_("0 表示全部"))
    seed = models.PositiveIntegerField(_("抽样种子"), default=0)
    points = models.ManyToManyField(
        InspectionPoint, verbose_name=_("测评点位"), through="RoundPoint", related_name="rounds", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评轮次")
        verbose_name_plural = _("测评轮次")
        ordering = ["-start_date", "-pk"]

    def __str__(self) -> str:
        return self.name

    def checklist_for(self, point_type_id: int) -> Checklist | None:
        pin = self.checklists.filter(point_type_id=point_type_id).select_related("checklist").first()
        return pin.checklist if pin else None


class RoundPoint(models.Model):
    round = models.ForeignKey(Round, verbose_name=_("测评轮次"), on_delete=models.CASCADE, related_name="round_points")
    point = models.ForeignKey(InspectionPoint, verbose_name=_("点位"), on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("测评员"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("轮次点位")
        verbose_name_plural = _("轮次点位")
        ordering = ["round", "point__point_type__order", "point__name"]
        constraints = [models.UniqueConstraint(fields=["round", "point"], name="round_point_unique")]

    def __str__(self) -> str:
        return f"{self.round} · {self.point}"


class RoundChecklist(models.Model):
    """The checklist version a round uses for a point type, pinned when the round starts."""

    round = models.ForeignKey(Round, verbose_name=_("测评轮次"), on_delete=models.CASCADE, related_name="checklists")
    point_type = models.ForeignKey(PointType, verbose_name=_("点位类型"), on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey(Checklist, verbose_name=_("测评标准"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("轮次测评标准")
        verbose_name_plural = _("轮次测评标准")
        constraints = [models.UniqueConstraint(fields=["round", "point_type"], name="round_checklist_unique")]

    def __str__(self) -> str:
        return f"{self.round} · {self.checklist}"


class Inspection(models.Model):
    """One point's inspection in one round (several inspectors may score its items)."""

    round = models.ForeignKey(Round, verbose_name=_("测评轮次"), on_delete=models.PROTECT, related_name="inspections")
    point = models.ForeignKey(InspectionPoint, verbose_name=_("点位"), on_delete=models.PROTECT, related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("测评员"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"), default=clock.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("点位测评")
        verbose_name_plural = _("点位测评")
        ordering = ["round", "point"]
        constraints = [models.UniqueConstraint(fields=["round", "point"], name="inspection_round_point")]

    def __str__(self) -> str:
        return f"{self.round} · {self.point}"


class ItemScore(models.Model):
    inspection = models.ForeignKey(Inspection, verbose_name=_("点位测评"), on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("测评标准条目"), on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    passed = models.BooleanField(_("达标"))
    note = models.TextField(_("情况说明"), blank=True)
    # Optimistic lock: a save names the version it saw; a different stored version means someone else saved.
    version = models.PositiveIntegerField(_("版本"), default=1)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评分人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField(_("评分时间"), default=clock.now)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("生成案件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("条目得分")
        verbose_name_plural = _("条目得分")
        ordering = ["inspection", "item__order", "item__code"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="item_score_unique")]

    def __str__(self) -> str:
        return f"{self.item.code} {self.score}/{self.item.points}"

    @property
    def case_idempotency_key(self) -> str:
        return f"inspection:{self.inspection_id}:item:{self.item_id}"


def photo_path(instance: ItemPhoto, filename: str) -> str:
    return f"inspections/{clock.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-60:]}"


class ItemPhoto(models.Model):
    item_score = models.ForeignKey(ItemScore, verbose_name=_("条目得分"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("测评照片")
        verbose_name_plural = _("测评照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name or self.file.name
