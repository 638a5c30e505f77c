"""What the parser finds: plain dataclasses, no database (DESIGN.md §8 glossary)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class ParsedLeader:
    name: str
    position: str = ""


@dataclass
class ParsedTarget:
    text: str
    metric: str
    value: Decimal | None
    unit: str
    comparator: str
    deadline: dt.date
    recurrence: str = ""
    starts_on: dt.date | None = None
    upper: Decimal | None = None
    order: int = 0

    @property
    def is_milestone(self) -> bool:
        return self.value is None

    def to_json_dict(self) -> dict:
        value = self.value
        return {
            "text": self.text,
            "metric": self.metric,
            "value": None if value is None else (int(value) if value == value.to_integral_value() else float(value)),
            "unit": self.unit,
            "comparator": self.comparator,
            "deadline": self.deadline.isoformat(),
            "recurrence": self.recurrence,
            "milestone": self.is_milestone,
        }


@dataclass
class ParsedResponsibility:
    raw_text: str
    lead_leaders: list[ParsedLeader] = field(default_factory=list)
    lead_units: list[str] = field(default_factory=list)
    # Every member entry as written, collective phrases included, in document order.
    member_units: list[str] = field(default_factory=list)
    # The collective ones among them (各区政府, 市直各部门 …), kept verbatim for Responsibility.member_phrases.
    member_phrases: list[str] = field(default_factory=list)
    deadline: dt.date | None = None

    @property
    def individual_member_units(self) -> list[str]:
        return [u for u in self.member_units if u not in self.member_phrases]

    def to_json_dict(self) -> dict:
        return {
            "lead_leaders": [leader.name for leader in self.lead_leaders],
            "lead_leader_positions": {leader.name: leader.position for leader in self.lead_leaders if leader.position},
            "lead_units": list(self.lead_units),
            "member_units": list(self.member_units),
            "member_phrases": list(self.member_phrases),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "raw_text": self.raw_text,
        }


@dataclass
class ParsedMeasure:
    number: int
    title: str
    body: str = ""
    label: str = ""
    responsibility: ParsedResponsibility | None = None
    targets: list[ParsedTarget] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        resp = self.responsibility
        empty = ParsedResponsibility(raw_text="")
        data = {"number": self.number, "label": self.label, "title": self.title}
        data.update({k: v for k, v in (resp or empty).to_json_dict().items() if k != "raw_text"})
        data["has_responsibility"] = resp is not None
        data["targets"] = [t.to_json_dict() for t in self.targets]
        return data


@dataclass
class ParsedSection:
    number: int
    title: str
    label: str = ""
    intro: list[str] = field(default_factory=list)
    measures: list[ParsedMeasure] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {
            "number": self.number,
            "label": self.label,
            "title": self.title,
            "intro": list(self.intro),
            "measures": [m.to_json_dict() for m in self.measures],
        }


@dataclass
class ParsedPlan:
    title: str
    issuer: str
    issued_on: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    format: str
    source_name: str = ""
    source_text: str = ""
    source_sha256: str = ""
    sections: list[ParsedSection] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    # Text the parser could not place; listed to the user, never dropped silently.
    unclassified: list[str] = field(default_factory=list)
    # Recognised page furniture (当前位置、编辑、分享到 …) left out on purpose; listed as well.
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def measures(self) -> Iterator[ParsedMeasure]:
        for section in self.sections:
            yield from section.measures

    @property
    def targets(self) -> Iterator[ParsedTarget]:
        for measure in self.measures:
            yield from measure.targets

    def counts(self) -> dict[str, int]:
        measures = list(self.measures)
        targets = [t for m in measures for t in m.targets]
        return {
            "sections": len(self.sections),
            "measures": len(measures),
            "responsibilities": sum(1 for m in measures if m.responsibility),
            "targets": len(targets),
            "milestones": sum(1 for t in targets if t.is_milestone),
            "unclassified": len(self.unclassified),
            "ignored": len(self.ignored),
        }

    def to_json_dict(self) -> dict:
        return {
            "title": self.title,
            "issuer": self.issuer,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "format": self.format,
            "source_name": self.source_name,
            "source_sha256": self.source_sha256,
            "counts": self.counts(),
            "sections": [s.to_json_dict() for s in self.sections],
            "preamble": list(self.preamble),
            "unclassified": list(self.unclassified),
            "ignored": list(self.ignored),
            "warnings": list(self.warnings),
        }
