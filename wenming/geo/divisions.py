"""Load the real jurisdiction tree (city → district/county → street/town) and its government units.

Source: the NBS 2023 code list filtered to Zhuzhou (`data/zhuzhou_divisions.csv`, see shared/data/README.md).
Each district/county gets its government as an OrgUnit (荷塘区人民政府, alias 荷塘区政府) and each street/town its
office (月塘街道办事处), so territorial (属地) responsibility has someone to answer. Safe to run twice.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from wenming.accounts.models import OrgUnit, OrgUnitKind

from .models import Jurisdiction, JurisdictionKind

DEFAULT_CSV = Path(__file__).parent / "data" / "zhuzhou_divisions.csv"

# Former names the plan still uses: 渌口区 was 株洲县 until 2018 (the seed, §3, says 株洲县).
FORMER_NAMES = {"430212": ["株洲县"]}

LEVEL_KIND = {"city": JurisdictionKind.CITY, "county": JurisdictionKind.DISTRICT, "street": JurisdictionKind.STREET}


@dataclass
class DivisionsResult:
    created: int = 0
    existing: int = 0


def government_names(name: str, code: str) -> tuple[str, list[str]]:
    """The government unit's name and the aliases plans use for it."""
    names = [name, *FORMER_NAMES.get(code, [])]
    if name.endswith(("街道",)):
        return f"{name}办事处", [name]
    if name.endswith(("镇", "乡")):
        return f"{name}人民政府", [name, f"{name}政府"]
    aliases = []
    for n in names:
        aliases += [f"{n}政府", f"{n}人民政府", n]
    return f"{name}人民政府", [a for a in aliases if a != f"{name}人民政府"]


@transaction.atomic
def load_divisions(path: Path = DEFAULT_CSV) -> DivisionsResult:
    result = DivisionsResult()
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code: dict[str, Jurisdiction] = {}
    for order, row in enumerate(rows):
        kind = LEVEL_KIND[row["level"]]
        parent = by_code.get(row["parent_code"])
        gov_name, aliases = government_names(row["name"], row["code"])
        if kind == JurisdictionKind.CITY:
            gov_name, aliases = f"{row['name']}人民政府", [f"{row['name']}政府", "市政府"]
        gov_kind = {
            JurisdictionKind.CITY: OrgUnitKind.LEADERSHIP,
            JurisdictionKind.DISTRICT: OrgUnitKind.DISTRICT_GOVERNMENT,
            JurisdictionKind.STREET: OrgUnitKind.STREET,
        }[kind]
        gov, _ = OrgUnit.objects.get_or_create(
            name=gov_name,
            defaults={
                "kind": gov_kind,
                "aliases": "\n".join(aliases),
                "parent": parent.government if parent else None,
                "order": order,
            },
        )
        jur, created = Jurisdiction.objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "kind": kind, "parent": parent, "government": gov}
        )
        if created:
            result.created += 1
        else:
            result.existing += 1
        by_code[row["code"]] = jur
    return result
