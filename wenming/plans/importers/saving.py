"""ParsedPlan → database, in one transaction, with a readable diff first.

`plan_sync` is read-only: it matches the parsed plan against what is stored (measures by title then number,
targets by metric and unit) and lists every difference. `apply` then writes exactly those differences, so a
re-import of the same document writes nothing and a revision keeps the ids of matched measures and targets —
progress reports hang off those ids (STYLE.md: parse everything first, save in one transaction, refuse mass
deletions, keep a record of each run).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from wenming.accounts.models import Leader, OrgUnit
from wenming.plans.models import ImportRun, Measure, Plan, Responsibility, Section, Target

from .errors import PlanImportError
from .parser import parse_plan_text
from .structure import ParsedMeasure, ParsedPlan, ParsedTarget
from .text import read_document
from .units import UnitDirectory, UnitSpec

DEFAULT_PLAN_PATH = Path(__file__).resolve().parent.parent / "data" / "zhuzhou_2018.txt"
TEMP_OFFSET = 10000  # numbers are moved out of the way first: (plan, number) is unique
TARGET_FIELDS = ("text", "metric", "value", "unit", "comparator", "deadline", "recurrence", "starts_on", "order")


@dataclass
class ImportOutcome:
    plan: Plan | None
    created: bool
    changed: bool
    diff: list[str]
    unclassified: list[str]
    summary: dict
    dry_run: bool = False
    parsed: ParsedPlan | None = None
    run: ImportRun | None = None


def import_plan_file(
    path, *, dry_run: bool = False, is_default: bool = False, by=None, format: str | None = None
) -> ImportOutcome:
    """Read, parse and import one document. Failures raise PlanImportError and store nothing but the run record."""
    path = Path(path)
    try:
        text = read_document(path)
        parsed = parse_plan_text(text, source_name=path.name, format=format)
        return plan_import(parsed, dry_run=dry_run, is_default=is_default, by=by)
    except PlanImportError as exc:
        if not dry_run:
            _record_failure(path, exc, by)
        raise


def import_default_plan() -> ImportOutcome:
    """The seed plan (DESIGN.md: imported on first run). Districts first, so 各区政府 has governments to name."""
    from wenming.geo.divisions import load_divisions

    load_divisions()
    return import_plan_file(DEFAULT_PLAN_PATH, is_default=True)


def plan_import(parsed: ParsedPlan, *, dry_run: bool = False, is_default: bool = False, by=None) -> ImportOutcome:
    with transaction.atomic():
        sync = PlanSync(parsed, is_default=is_default)
        sync.prepare()
        if not dry_run:
            sync.apply()
        outcome = ImportOutcome(
            plan=sync.plan,
            created=sync.plan_created,
            changed=bool(sync.diff),
            diff=sync.diff,
            unclassified=list(parsed.unclassified),
            summary=sync.summary(dry_run=dry_run),
            dry_run=dry_run,
            parsed=parsed,
        )
        if not dry_run:
            outcome.run = ImportRun.objects.create(
                plan=sync.plan,
                source_name=parsed.source_name[:255],
                source_sha256=parsed.source_sha256,
                outcome=outcome.summary["outcome"],
                summary=outcome.summary,
                by=by,
            )
    return outcome


def _record_failure(path: Path, exc: PlanImportError, by) -> None:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    ImportRun.objects.create(
        source_name=path.name[:255],
        source_sha256=digest,
        outcome="failed",
        summary={"outcome": "failed", "error": exc.message, "details": exc.details},
        by=by,
    )


def fmt_value(value) -> str:
    if value is None:
        return _("（节点）")
    value = Decimal(value).normalize()
    return f"{value:f}"


@dataclass
class _Desired:
    """The responsibility a measure should have, by unit/leader name (units may not exist yet)."""

    leaders: list[tuple[str, str]] = field(default_factory=list)
    lead_units: list[UnitSpec] = field(default_factory=list)
    member_units: list[UnitSpec] = field(default_factory=list)
    member_phrases: list[str] = field(default_factory=list)
    raw_text: str = ""


class PlanSync:
    def __init__(self, parsed: ParsedPlan, *, is_default: bool):
        self.parsed = parsed
        self.is_default = is_default
        self.diff: list[str] = []
        self.plan: Plan | None = None
        self.plan_created = False
        self.units = UnitDirectory(f"{parsed.title} {parsed.issuer}")
        self.unresolved: list[str] = []
        self.new_leaders: dict[str, str] = {}
        self.stats = {"measures_added": 0, "measures_removed": 0, "targets_added": 0, "targets_removed": 0,
                      "targets_updated": 0, "measures_updated": 0}

    # ---- read-only half -------------------------------------------------------------------------------
    def prepare(self) -> None:
        parsed = self.parsed
        self.plan = (
            Plan.objects.filter(source_sha256=parsed.source_sha256).order_by("-is_default", "pk").first()
            or Plan.objects.filter(title=parsed.title).order_by("-is_default", "-pk").first()
        )
        self.plan_created = self.plan is None
        self.desired = {m.number: self._desired(m) for m in parsed.measures}
        if self.plan_created:
            counts = parsed.counts()
            self.diff.append(
                _("新建实施方案“%(title)s”：%(s)s 个部分、%(m)s 项措施、%(r)s 项责任分工、%(t)s 项目标")
                % {"title": parsed.title, "s": counts["sections"], "m": counts["measures"],
                   "r": counts["responsibilities"], "t": counts["targets"]}
            )
            self.section_pairs, self.measure_pairs, self.target_pairs = [], [], {}
            self.removed_sections, self.removed_measures = [], []
        else:
            self._diff_plan()
            self._match_sections()
            self._match_measures()
        for spec in self.units.new.values():
            self.diff.append(_("新增单位：%(name)s（%(kind)s）") % {"name": spec.name, "kind": _kind_label(spec.kind)})
        for name in self.new_leaders:
            self.diff.append(_("新增牵头领导：%(name)s") % {"name": name})

    def _desired(self, measure: ParsedMeasure) -> _Desired | None:
        resp = measure.responsibility
        if resp is None:
            return None
        desired = _Desired(raw_text=resp.raw_text, member_phrases=list(resp.member_phrases))
        for leader in resp.lead_leaders:
            desired.leaders.append((leader.name, leader.position))
            if not Leader.objects.filter(name=leader.name).exists():
                self.new_leaders.setdefault(leader.name, leader.position)
        seen: set[str] = set()
        for name in resp.lead_units:
            spec = self.units.spec(name)
            if spec.name not in seen:
                seen.add(spec.name)
                desired.lead_units.append(spec)
        for name in resp.member_units:
            if name in resp.member_phrases:
                specs = self.units.expand(name)
                if not specs and self.units.find(name) is None:
                    self.unresolved.append(name)
            else:
                specs = [self.units.spec(name)]
            for spec in specs:
                if spec.name not in seen:
                    seen.add(spec.name)
                    desired.member_units.append(spec)
        return desired

    def _diff_plan(self) -> None:
        plan, parsed = self.plan, self.parsed
        wanted = {
            "title": parsed.title,
            "issuer": parsed.issuer,
            "issued_on": parsed.issued_on,
            "starts_on": parsed.starts_on,
            "ends_on": parsed.ends_on,
            "source_sha256": parsed.source_sha256,
        }
        labels = {"title": _("标题"), "issuer": _("发文机关"), "issued_on": _("印发日期"), "starts_on": _("起始日期"),
                  "ends_on": _("截止日期"), "source_sha256": _("原文")}
        self.plan_changes = {}
        for name, value in wanted.items():
            old = getattr(plan, name)
            if old != value:
                self.plan_changes[name] = value
                if name == "source_sha256":
                    self.diff.append(_("方案原文有修改"))
                else:
                    self.diff.append(_("方案%(field)s：%(old)s → %(new)s") % {"field": labels[name], "old": old, "new": value})
        if self.is_default and not plan.is_default:
            self.plan_changes["is_default"] = True
            self.diff.append(_("设为默认方案"))

    def _match_sections(self) -> None:
        existing = list(self.plan.sections.all())
        parsed = self.parsed.sections
        pairs: dict[int, Section] = {}
        free = {s.pk: s for s in existing}
        for ps in parsed:
            match = next((s for s in free.values() if s.title == ps.title), None)
            if match is not None:
                pairs[ps.number] = free.pop(match.pk)
        for ps in parsed:
            if ps.number not in pairs:
                match = next((s for s in free.values() if s.number == ps.number), None)
                if match is not None:
                    pairs[ps.number] = free.pop(match.pk)
        self.section_pairs = [(ps, pairs.get(ps.number)) for ps in parsed]
        self.removed_sections = list(free.values())
        for ps, section in self.section_pairs:
            if section is None:
                self.diff.append(_("新增部分 %(n)s“%(title)s”") % {"n": ps.number, "title": ps.title})
            elif (section.number, section.title) != (ps.number, ps.title):
                self.diff.append(
                    _("部分 %(old_n)s“%(old)s” → %(n)s“%(title)s”")
                    % {"old_n": section.number, "old": section.title, "n": ps.number, "title": ps.title}
                )
        for section in self.removed_sections:
            self.diff.append(_("删除部分 %(n)s“%(title)s”") % {"n": section.number, "title": section.title})

    def _match_measures(self) -> None:
        existing = list(
            self.plan.measures.select_related("section").annotate(report_count=Count("targets__reports"))
        )
        parsed = list(self.parsed.measures)
        free = {m.pk: m for m in existing}
        pairs: dict[int, Measure] = {}
        for pm in parsed:
            match = next((m for m in free.values() if m.title == pm.title), None)
            if match is not None:
                pairs[pm.number] = free.pop(match.pk)
        for pm in parsed:
            if pm.number not in pairs:
                match = next((m for m in free.values() if m.number == pm.number), None)
                if match is not None:
                    pairs[pm.number] = free.pop(match.pk)
        removed = list(free.values())
        if len(existing) >= 4 and len(removed) * 2 > len(existing):
            raise PlanImportError(
                _("修订稿将删除 %(n)s 项措施（原有 %(total)s 项，超过半数），为防误操作已拒绝导入；请确认文档是否完整")
                % {"n": len(removed), "total": len(existing)}
            )
        blocked = [m for m in removed if m.report_count]
        if blocked:
            raise PlanImportError(
                _("以下措施已有进度报送，不能删除：请在修订稿中保留，或先处理其进度报送"),
                details=[f"{m.number}. {m.title}" for m in blocked],
            )
        self.removed_measures = removed
        self.measure_pairs = [(pm, pairs.get(pm.number)) for pm in parsed]
        section_of = {pm.number: ps for ps in self.parsed.sections for pm in ps.measures}
        self.target_pairs: dict[int, list[tuple[ParsedTarget | None, Target | None]]] = {}
        for pm, measure in self.measure_pairs:
            if measure is None:
                self.stats["measures_added"] += 1
                self.diff.append(_("新增措施 %(n)s“%(title)s”") % {"n": pm.number, "title": pm.title})
                for t in pm.targets:
                    self.diff.append(_("  新增目标“%(metric)s” %(value)s%(unit)s") % _target_words(t))
                continue
            before = len(self.diff)
            ps = section_of[pm.number]
            if measure.number != pm.number:
                self.diff.append(_("措施 %(old)s“%(title)s”改为第 %(new)s 项") % {"old": measure.number, "new": pm.number, "title": pm.title})
            if measure.title != pm.title:
                self.diff.append(_("措施 %(n)s 标题：%(old)s → %(new)s") % {"n": pm.number, "old": measure.title, "new": pm.title})
            if measure.section.title != ps.title or measure.section.number != ps.number:
                self.diff.append(_("措施 %(n)s 归入第 %(s)s 部分“%(title)s”") % {"n": pm.number, "s": ps.number, "title": ps.title})
            if measure.body != pm.body:
                self.diff.append(_("措施 %(n)s 正文有修改") % {"n": pm.number})
            self._diff_responsibility(pm, measure)
            self._match_targets(pm, measure)
            if len(self.diff) > before:
                self.stats["measures_updated"] += 1
        for measure in removed:
            self.stats["measures_removed"] += 1
            self.diff.append(_("删除措施 %(n)s“%(title)s”") % {"n": measure.number, "title": measure.title})

    def _diff_responsibility(self, pm: ParsedMeasure, measure: Measure) -> None:
        desired = self.desired[pm.number]
        resp = Responsibility.objects.filter(measure=measure).first()
        if resp is None and desired is None:
            return
        if resp is None:
            self.diff.append(_("措施 %(n)s 新增责任分工") % {"n": pm.number})
            return
        if desired is None:
            self.diff.append(_("措施 %(n)s 删除责任分工") % {"n": pm.number})
            return
        pairs = [
            (_("牵头领导"), sorted(resp.lead_leaders.values_list("name", flat=True)), sorted(n for n, _p in desired.leaders)),
            (_("牵头单位"), sorted(resp.lead_units.values_list("name", flat=True)), sorted(s.name for s in desired.lead_units)),
            (_("成员单位"), sorted(resp.member_units.values_list("name", flat=True)),
             sorted(s.name for s in desired.member_units)),
            (_("集体表述"), list(resp.member_phrases), list(desired.member_phrases)),
        ]
        for label, old, new in pairs:
            if old != new:
                added = [x for x in new if x not in old]
                dropped = [x for x in old if x not in new]
                self.diff.append(
                    _("措施 %(n)s %(label)s：增加 %(added)s；去掉 %(dropped)s")
                    % {"n": pm.number, "label": label, "added": "、".join(added) or "—", "dropped": "、".join(dropped) or "—"}
                )
        if resp.raw_text != desired.raw_text and all(old == new for _l, old, new in pairs):
            self.diff.append(_("措施 %(n)s 责任分工原文有修改") % {"n": pm.number})

    def _match_targets(self, pm: ParsedMeasure, measure: Measure) -> None:
        existing = list(measure.targets.annotate(report_count=Count("reports")).order_by("order", "pk"))
        free = list(existing)
        pairs: list[tuple[ParsedTarget | None, Target | None]] = []
        matched: dict[int, Target] = {}
        keys = [
            lambda t, e: (t.metric, t.unit, t.value) == (e.metric, e.unit, e.value),
            lambda t, e: (t.metric, t.unit) == (e.metric, e.unit),
            lambda t, e: t.text == e.text and t.unit == e.unit,
            lambda t, e: t.order == e.order and t.unit == e.unit and (t.value is None) == (e.value is None),
        ]
        for same in keys:
            for i, t in enumerate(pm.targets):
                if i in matched:
                    continue
                e = next((e for e in free if same(t, e)), None)
                if e is not None:
                    matched[i] = e
                    free.remove(e)
        for i, t in enumerate(pm.targets):
            pairs.append((t, matched.get(i)))
        blocked = [e for e in free if e.report_count]
        if blocked:
            raise PlanImportError(
                _("措施 %(n)s 的以下目标已有进度报送，不能删除：") % {"n": pm.number},
                details=[e.metric for e in blocked],
            )
        pairs += [(None, e) for e in free]
        self.target_pairs[pm.number] = pairs
        for t, e in pairs:
            if e is None:
                self.stats["targets_added"] += 1
                self.diff.append(_("措施 %(n)s 新增目标“%(metric)s” %(value)s%(unit)s") % {"n": pm.number, **_target_words(t)})
            elif t is None:
                self.stats["targets_removed"] += 1
                self.diff.append(_("措施 %(n)s 删除目标“%(metric)s” %(value)s%(unit)s") % {"n": pm.number, **_target_words(e)})
            else:
                changes = _target_changes(t, e)
                if changes:
                    self.stats["targets_updated"] += 1
                    self.diff.append(
                        _("措施 %(n)s 目标“%(metric)s”：%(changes)s")
                        % {"n": pm.number, "metric": t.metric, "changes": "；".join(changes)}
                    )

    # ---- writing half ---------------------------------------------------------------------------------
    def apply(self) -> None:
        if not self.diff:
            return
        parsed = self.parsed
        created_units = self._create_units()
        leaders = self._leaders()
        plan = self.plan
        if self.plan_created:
            plan = self.plan = Plan.objects.create(
                title=parsed.title,
                issuer=parsed.issuer,
                issued_on=parsed.issued_on,
                starts_on=parsed.starts_on,
                ends_on=parsed.ends_on,
                jurisdiction=self.units.city,
                source_name=parsed.source_name,
                source_text=parsed.source_text,
                source_sha256=parsed.source_sha256,
                is_default=self.is_default,
            )
        else:
            for name, value in self.plan_changes.items():
                setattr(plan, name, value)
            plan.source_name = parsed.source_name
            plan.source_text = parsed.source_text
            plan.save()
        if self.is_default:
            Plan.objects.filter(is_default=True).exclude(pk=plan.pk).update(is_default=False)

        sections = self._apply_sections(plan)
        measures = self._apply_measures(plan, sections)
        for pm in parsed.measures:
            self._apply_responsibility(measures[pm.number], self.desired[pm.number], created_units, leaders)
            self._apply_targets(pm, measures[pm.number])

    def _create_units(self) -> dict[str, OrgUnit]:
        created: dict[str, OrgUnit] = {}
        for order, spec in enumerate(self.units.new.values()):
            parent = self.units.find(spec.parent_name) if spec.parent_name else None
            created[spec.name] = OrgUnit.objects.create(
                name=spec.name[:100], kind=spec.kind, parent=parent, order=1000 + order
            )
        return created

    def _leaders(self) -> dict[str, Leader]:
        for name, position in self.new_leaders.items():
            Leader.objects.get_or_create(name=name, defaults={"position": position[:100]})
        names = {n for d in self.desired.values() if d for n, _p in d.leaders}
        return {leader.name: leader for leader in Leader.objects.filter(name__in=names)}

    def _apply_sections(self, plan: Plan) -> dict[int, Section]:
        result: dict[int, Section] = {}
        pairs = self.section_pairs or [(ps, None) for ps in self.parsed.sections]
        moving = [s for ps, s in pairs if s is not None and s.number != ps.number]
        for i, section in enumerate(moving):
            Section.objects.filter(pk=section.pk).update(number=TEMP_OFFSET + i)
        for ps, section in pairs:
            if section is None:
                section = Section.objects.create(plan=plan, number=ps.number, title=ps.title[:200])
            elif (section.number, section.title) != (ps.number, ps.title) or section in moving:
                section.number, section.title = ps.number, ps.title[:200]
                section.save(update_fields=["number", "title"])
            result[ps.number] = section
        self._pending_section_deletes = self.removed_sections
        return result

    def _apply_measures(self, plan: Plan, sections: dict[int, Section]) -> dict[int, Measure]:
        result: dict[int, Measure] = {}
        section_of = {pm.number: ps.number for ps in self.parsed.sections for pm in ps.measures}
        pairs = self.measure_pairs or [(pm, None) for pm in self.parsed.measures]
        for measure in self.removed_measures:
            measure.delete()
        moving = [m for pm, m in pairs if m is not None and m.number != pm.number]
        for i, measure in enumerate(moving):
            Measure.objects.filter(pk=measure.pk).update(number=TEMP_OFFSET + i)
        for pm, measure in pairs:
            section = sections[section_of[pm.number]]
            if measure is None:
                measure = Measure.objects.create(
                    plan=plan, section=section, number=pm.number, title=pm.title[:200], body=pm.body
                )
            else:
                wanted = {"section_id": section.pk, "number": pm.number, "title": pm.title[:200], "body": pm.body}
                if measure in moving or any(getattr(measure, k) != v for k, v in wanted.items()):
                    for k, v in wanted.items():
                        setattr(measure, k, v)
                    measure.save(update_fields=["section", "number", "title", "body"])
            result[pm.number] = measure
        for section in self._pending_section_deletes:
            section.delete()
        return result

    def _apply_responsibility(self, measure: Measure, desired: _Desired | None, created_units, leaders) -> None:
        resp = Responsibility.objects.filter(measure=measure).first()
        if desired is None:
            if resp is not None:
                resp.delete()
            return
        if resp is None:
            resp = Responsibility.objects.create(
                measure=measure, raw_text=desired.raw_text, member_phrases=desired.member_phrases
            )
        elif resp.raw_text != desired.raw_text or resp.member_phrases != desired.member_phrases:
            resp.raw_text, resp.member_phrases = desired.raw_text, desired.member_phrases
            resp.save(update_fields=["raw_text", "member_phrases"])

        def unit_ids(specs: list[UnitSpec]) -> set[int]:
            return {spec.pk or created_units[spec.name].pk for spec in specs}

        wanted = {
            "lead_leaders": {leaders[n].pk for n, _p in desired.leaders},
            "lead_units": unit_ids(desired.lead_units),
            "member_units": unit_ids(desired.member_units),
        }
        for name, ids in wanted.items():
            manager = getattr(resp, name)
            if set(manager.values_list("pk", flat=True)) != ids:
                manager.set(ids)

    def _apply_targets(self, pm: ParsedMeasure, measure: Measure) -> None:
        pairs = self.target_pairs.get(pm.number) or [(t, None) for t in pm.targets]
        for t, e in pairs:
            if t is None:
                e.delete()
            elif e is None or e.measure_id != measure.pk:
                Target.objects.create(measure=measure, **{f: getattr(t, f) for f in TARGET_FIELDS})
            elif _target_changes(t, e):
                for f in TARGET_FIELDS:
                    setattr(e, f, getattr(t, f))
                e.save(update_fields=list(TARGET_FIELDS))

    def summary(self, *, dry_run: bool) -> dict:
        counts = self.parsed.counts()
        if self.plan_created:
            outcome = "created"
        elif self.diff:
            outcome = "updated"
        else:
            outcome = "unchanged"
        return {
            "outcome": outcome,
            "dry_run": dry_run,
            "title": self.parsed.title,
            "format": self.parsed.format,
            **counts,
            "org_units_created": len(self.units.new),
            "new_org_units": [s.name for s in self.units.new.values()],
            "leaders_created": len(self.new_leaders),
            "unresolved_phrases": sorted(set(self.unresolved)),
            "diff": self.diff[:500],
            "warnings": list(self.parsed.warnings),
            **self.stats,
        }


def _kind_label(kind: str) -> str:
    from wenming.accounts.models import OrgUnitKind

    return str(OrgUnitKind(kind).label) if kind in OrgUnitKind.values else kind


def _target_words(t) -> dict:
    return {"metric": t.metric, "value": fmt_value(t.value), "unit": t.unit}


def _target_changes(t: ParsedTarget, e: Target) -> list[str]:
    changes = []
    if t.value != e.value:
        changes.append(_("目标值 %(old)s → %(new)s") % {"old": fmt_value(e.value), "new": fmt_value(t.value)})
    if t.unit != e.unit:
        changes.append(_("单位 %(old)s → %(new)s") % {"old": e.unit or "—", "new": t.unit or "—"})
    if t.comparator != e.comparator:
        changes.append(_("比较方式 %(old)s → %(new)s") % {"old": e.comparator, "new": t.comparator})
    if t.deadline != e.deadline:
        changes.append(_("完成时限 %(old)s → %(new)s") % {"old": e.deadline, "new": t.deadline})
    if t.recurrence != e.recurrence:
        changes.append(_("周期 %(old)s → %(new)s") % {"old": e.recurrence or "—", "new": t.recurrence or "—"})
    if t.metric != e.metric:
        changes.append(_("指标名称 %(old)s → %(new)s") % {"old": e.metric, "new": t.metric})
    if t.starts_on != e.starts_on:
        changes.append(_("起始日期 %(old)s → %(new)s") % {"old": e.starts_on, "new": t.starts_on})
    if t.text != e.text or t.order != e.order:
        if not changes:
            changes.append(_("原文或顺序有修改"))
    return changes
