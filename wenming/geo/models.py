"""Jurisdictions (city → district/county → street/town → community) and unit grid cells (DESIGN.md §2, §3).

Geometry is stored as GeoJSON (WGS84 lng/lat) in a JSON column; the spatial index lives in memory
(`wenming.geo.locate`), so no GDAL/PostGIS is needed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.accounts.models import OrgUnit
from wenming.core.models import TimeStamped


class JurisdictionKind(models.TextChoices):
    PROVINCE = "province", pgettext_lazy("辖区层级", "省")
    CITY = "city", pgettext_lazy("辖区层级", "市")
    DISTRICT = "district", pgettext_lazy("辖区层级", "区县")
    STREET = "street", pgettext_lazy("辖区层级", "街道乡镇")
    COMMUNITY = "community", pgettext_lazy("辖区层级", "社区村")


class Jurisdiction(TimeStamped):
    code = models.CharField(_("区划代码"), max_length=12, unique=True, help_text=_("GB/T 2260 及统计用区划代码"))
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("层级"), max_length=16, choices=JurisdictionKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级辖区"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    government = models.ForeignKey(
        OrgUnit,
        verbose_name=_("属地政府（办事处）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jurisdictions",
    )
    geometry = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    is_demo_geometry = models.BooleanField(_("演示边界"), default=False)

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestor(self, kind: str) -> Jurisdiction | None:
        node: Jurisdiction | None = self
        while node is not None and node.kind != kind:
            node = node.parent
        return node


class GridCell(TimeStamped):
    """单元网格. Code: district (6) + street (3) + community (3) + sequence (2–3), standards.md."""

    code = models.CharField(_("网格编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=80, blank=True)
    community = models.ForeignKey(
        Jurisdiction, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="grid_cells"
    )
    responsible_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("责任主体"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_cells",
        help_text=_("空缺时由属地街道兜底"),
    )
    geometry = models.JSONField(_("边界 (GeoJSON)"))
    # Bounding box, copied from the geometry, lets lists filter by map view without loading polygons.
    min_lng = models.FloatField(default=0)
    min_lat = models.FloatField(default=0)
    max_lng = models.FloatField(default=0)
    max_lat = models.FloatField(default=0)
    is_demo = models.BooleanField(_("演示网格"), default=False)

    class Meta:
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()
