"""Organisation units (a tree), leaders, users and their memberships and roles (DESIGN.md §1, §8)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.core import clock
from wenming.core.models import TimeStamped


class OrgUnitKind(models.TextChoices):
    """The kinds of unit the seed plan names in its responsibility blocks."""

    LEADERSHIP = "leadership", pgettext_lazy("单位类型", "党委政府及议事机构")
    PARTY_DEPARTMENT = "party_department", pgettext_lazy("单位类型", "市委部门")
    CITY_DEPARTMENT = "city_department", pgettext_lazy("单位类型", "市直部门")
    DISTRICT_GOVERNMENT = "district_government", pgettext_lazy("单位类型", "区县政府")
    DISTRICT_DEPARTMENT = "district_department", pgettext_lazy("单位类型", "区县部门")
    STREET = "street", pgettext_lazy("单位类型", "街道乡镇")
    COMMUNITY = "community", pgettext_lazy("单位类型", "社区村")
    STATE_COMPANY = "state_company", pgettext_lazy("单位类型", "集团公司")
    ENTERPRISE = "enterprise", pgettext_lazy("单位类型", "驻市企业")
    ASSOCIATION = "association", pgettext_lazy("单位类型", "协会")
    MEDIA = "media", pgettext_lazy("单位类型", "新闻单位")
    PEOPLES_ORGANISATION = "peoples_organisation", pgettext_lazy("单位类型", "人民团体")
    JUDICIAL = "judicial", pgettext_lazy("单位类型", "司法机关")
    OTHER = "other", pgettext_lazy("单位类型", "其他")


class OrgUnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def governments(self):
        return self.filter(kind=OrgUnitKind.DISTRICT_GOVERNMENT)

    def by_name(self, name: str) -> OrgUnit | None:
        """A unit by its name or one of its aliases (plans name 市城管局 and 株洲市城市管理局 alike)."""
        unit = self.filter(name=name).first()
        if unit is None:
            unit = next((u for u in self.exclude(aliases="") if name in u.alias_list), None)
        return unit


class OrgUnit(TimeStamped):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("类型"), max_length=32, choices=OrgUnitKind.choices, default=OrgUnitKind.OTHER)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    aliases = models.TextField(_("别名"), blank=True, help_text=_("每行一个"))
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.splitlines() if a.strip()]

    def descendants_and_self(self) -> list[OrgUnit]:
        """This unit and every unit below it (a unit's workbench includes its child units)."""
        result, frontier = [self], [self.pk]
        while frontier:
            children = list(OrgUnit.objects.filter(parent_id__in=frontier))
            result.extend(children)
            frontier = [c.pk for c in children]
        return result

    def ancestors(self) -> list[OrgUnit]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Leader(TimeStamped):
    """A 牵头领导: a city leader who leads measures. Positions change; names in plans stay."""

    name = models.CharField(_("姓名"), max_length=50, unique=True)
    position = models.CharField(_("职务"), max_length=100, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所在单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leaders"
    )
    user = models.OneToOneField(
        "User", verbose_name=_("登录账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leader"
    )

    class Meta:
        verbose_name = _("牵头领导")
        verbose_name_plural = _("牵头领导")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）" if self.position else self.name


class Role(models.TextChoices):
    """DESIGN.md §1 roles, plus the three separated administrators 等保 2.0 asks for."""

    OFFICE = "office", pgettext_lazy("角色", "创文办")
    UNIT = "unit", pgettext_lazy("角色", "责任单位")
    INSPECTOR = "inspector", pgettext_lazy("角色", "督查员")
    LEADER = "leader", pgettext_lazy("角色", "领导")
    SYSTEM_ADMIN = "system_admin", pgettext_lazy("角色", "系统管理员")
    SECURITY_ADMIN = "security_admin", pgettext_lazy("角色", "安全管理员")
    AUDIT_ADMIN = "audit_admin", pgettext_lazy("角色", "审计管理员")


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def has_role(self, *roles: str) -> bool:
        if self.is_superuser and Role.SYSTEM_ADMIN in roles:
            return True
        return self.memberships.filter(role__in=roles).exists()

    @property
    def is_office(self) -> bool:
        return self.is_superuser or self.has_role(Role.OFFICE)

    def handled_unit_ids(self) -> frozenset[int]:
        """The units whose cases this user handles as a responsible unit: each unit they are a UNIT member of and
        every unit below it (issue #3 §4: a unit's workbench includes its child units, and it may act for them).
        Worked out once per user object (one request), as it is asked for every row of a list."""
        cached = self.__dict__.get("_handled_unit_ids")
        if cached is None:
            ids: set[int] = set()
            for unit in self.units(role=Role.UNIT):
                ids.update(u.pk for u in unit.descendants_and_self())
            cached = self.__dict__["_handled_unit_ids"] = frozenset(ids)
        return cached

    def units(self, role: str | None = None) -> list[OrgUnit]:
        qs = self.memberships.select_related("org_unit")
        if role:
            qs = qs.filter(role=role)
        return [m.org_unit for m in qs]

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > clock.now()


class Membership(models.Model):
    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        constraints = [models.UniqueConstraint(fields=["user", "org_unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org_unit}（{self.get_role_display()}）"
