"""Names in a plan → OrgUnits: find by name or alias, guess the kind of new ones, expand collective phrases.

Read-only: this module decides what should exist; `saving.py` creates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wenming.accounts.models import OrgUnit, OrgUnitKind
from wenming.geo.models import Jurisdiction, JurisdictionKind

from . import patterns as p

_SCOPES = [(scope, re.compile(rx)) for scope, rx in p.SCOPE_RES]
_KIND_RULES = [(kind, re.compile(rx)) for kind, rx in p.UNIT_KIND_RULES]
# Parts of a collective phrase that are organisations of a district (旅游部门, 教育局, 委宣传部); 旅游企业 is not.
_DEPARTMENT = re.compile(r"(?:局|办|委|部|部门|中心|支队|大队|所|站|馆|院)$")


def guess_kind(name: str) -> str:
    """Seed responsibility blocks: 市委* → party, 市*局 → city department, *集团 → state company …"""
    for kind, rx in _KIND_RULES:
        if rx.search(name):
            return kind
    return OrgUnitKind.OTHER


@dataclass(frozen=True)
class UnitSpec:
    """A unit that should exist: an existing one (pk set) or one to create."""

    name: str
    kind: str
    pk: int | None = None
    parent_name: str = ""


class UnitDirectory:
    """Every OrgUnit by name and alias, loaded once (OrgUnit.objects.by_name scans aliases per call)."""

    def __init__(self, plan_place: str = ""):
        self.by_name: dict[str, OrgUnit] = {}
        self.by_alias: dict[str, OrgUnit] = {}
        for unit in OrgUnit.objects.all():
            self.by_name[unit.name] = unit
            for alias in unit.alias_list:
                self.by_alias.setdefault(alias, unit)
        self.new: dict[str, UnitSpec] = {}
        districts = Jurisdiction.objects.filter(kind=JurisdictionKind.DISTRICT).select_related("government", "parent")
        cities = [j for j in Jurisdiction.objects.filter(kind=JurisdictionKind.CITY) if j.name in plan_place]
        if cities:
            districts = districts.filter(parent__in=cities)
        self.city = cities[0] if len(cities) == 1 else None
        self.districts = [d for d in districts.order_by("code") if d.government_id]

    def find(self, name: str) -> OrgUnit | None:
        return self.by_name.get(name) or self.by_alias.get(name)

    def spec(self, name: str, *, kind: str | None = None, parent_name: str = "") -> UnitSpec:
        unit = self.find(name)
        if unit is not None:
            return UnitSpec(unit.name, unit.kind, unit.pk)
        if name not in self.new:
            self.new[name] = UnitSpec(name, kind or guess_kind(name), None, parent_name)
        return self.new[name]

    def expand(self, phrase: str) -> list[UnitSpec]:
        """各区政府 → the 区 governments; 各县市区 → all; 各县市区教育局 → 荷塘区教育局 … (seed §11, §15, §18)."""
        for scope, rx in _SCOPES:
            m = rx.match(phrase)
            if not m:
                continue
            districts = self.districts
            if scope == "districts":
                districts = [d for d in districts if d.name.endswith("区")]
            rest = m.group("rest").strip()
            if rest in p.GOVERNMENT_WORDS:
                return [UnitSpec(d.government.name, d.government.kind, d.government_id) for d in districts]
            departments = [x for x in re.split(r"[、和及与]", rest) if x and _DEPARTMENT.search(x)]
            return [
                self.spec(f"{d.name}{dept}", kind=OrgUnitKind.DISTRICT_DEPARTMENT, parent_name=d.government.name)
                for dept in departments
                for d in districts
            ]
        return []
