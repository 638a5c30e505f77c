"""Plan text → ParsedPlan. Pure: no database, so it can be tested and benchmarked on its own.

Parsing goes in three passes: lines are sorted into preamble / part headings / measure paragraphs, each measure
paragraph is split into title, body and responsibility block, and each body sentence is searched for quantified
commitments and dated milestones. Which house style a document follows is decided by trying the registered
formats (patterns.py) whose heading shapes match the document.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext as _

from wenming.core import clock

from . import patterns as p
from .errors import PlanImportError
from .structure import (
    ParsedLeader,
    ParsedMeasure,
    ParsedPlan,
    ParsedResponsibility,
    ParsedSection,
    ParsedTarget,
)
from .text import normalise

CN_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(text: str) -> int:
    """一 → 1, 十一 → 11, 二十三 → 23, 二〇一八 → 2018; Arabic digits pass through."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if "十" not in text and "百" not in text:
        return int("".join(str(CN_NUM[c]) for c in text))
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = CN_NUM[ch]
    return total + current


def year_end(year: int, month: int | None = None) -> dt.date:
    month = month or 12
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# Heading shapes, to pick the formats whose part/measure numbering the document actually uses.
SHAPES = {
    "cn": re.compile(r"^[一二三四五六七八九十]{1,3}\s*、"),
    "cn_paren": re.compile(r"^[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)]"),
    "ar": re.compile(r"^\d{1,3}\s*[.．、](?!\d)"),
    "ar_paren": re.compile(r"^[（(]\s*\d{1,3}\s*[）)]"),
}
FORMAT_SHAPES = {
    "zhuzhou": ("cn", ("ar",)),
    "cn_arabic": ("cn", ("ar",)),
    "cn_paren": ("cn", ("cn_paren",)),
    "paren_arabic": ("cn_paren", ("ar", "ar_paren")),
}


def heading_levels(lines: list[str]) -> tuple[str | None, str | None]:
    """The shape of the top heading level and of the first level below it."""
    top = child = None
    for line in lines:
        shape = next((name for name, rx in SHAPES.items() if rx.match(line)), None)
        if shape is None:
            continue
        if top is None:
            if shape in ("cn", "cn_paren") and len(line) <= 62 and "。" not in line[:-1]:
                top = shape
        elif shape != top:
            child = shape
            break
    return top, child


def parse_plan_text(text: str, *, source_name: str = "", format: str | None = None) -> ParsedPlan:
    """Parse a plan document. Raises PlanImportError (Chinese message) when no measures can be recognised."""
    text = normalise(text or "")
    if not text.strip():
        raise PlanImportError(_("文档为空：没有可导入的内容"))
    lines = [line for line in text.split("\n")]
    if format:
        candidates = [p.get_format(format)]
    else:
        top, child = heading_levels([line for line in lines if line])
        candidates = [
            fmt
            for name, fmt in p.FORMATS.items()
            if FORMAT_SHAPES.get(name, (None, ()))[0] == top and child in FORMAT_SHAPES.get(name, (None, ()))[1]
        ] or list(p.FORMATS.values())
    best: ParsedPlan | None = None
    for fmt in candidates:
        parsed = _Parser(fmt).parse(lines, text=text, source_name=source_name)
        score = (parsed.counts()["measures"], parsed.counts()["responsibilities"])
        if best is None or score > (best.counts()["measures"], best.counts()["responsibilities"]):
            best = parsed
    assert best is not None
    if not best.counts()["measures"]:
        raise PlanImportError(_("未识别到任何措施：请确认文档为实施方案格式（如“一、”分部分，“1.”列措施）"))
    return best


@lru_cache(maxsize=16)
def _compiled(fmt: p.PlanFormat) -> p.CompiledFormat:
    return fmt.compiled()


@dataclass
class _Marker:
    pos: int
    end: int
    kind: str  # "deadline" | "recurrence"
    value: object
    explicit: bool = False


class _MeasureDraft:
    def __init__(self, number: int, label: str, head: str):
        self.number = number
        self.label = label
        self.head = head
        self.lines: list[str] = []


class _Parser:
    def __init__(self, fmt: p.PlanFormat):
        self.fmt = fmt
        self.rx = _compiled(fmt)

    # ---- pass 1: lines --------------------------------------------------------------------------------
    def parse(self, lines: list[str], *, text: str, source_name: str) -> ParsedPlan:
        rx = self.rx
        preamble: list[str] = []
        ignored: list[str] = []
        unclassified: list[str] = []
        warnings: list[str] = []
        sections: list[ParsedSection] = []
        drafts: list[tuple[ParsedSection, _MeasureDraft]] = []
        has_sections = any(self._section_match(line, 0) for line in lines if line)
        in_appendix = False
        last_measure_number = 0
        section_measure_number = 0
        running = 0
        for line in lines:
            if not line:
                continue
            if any(c.search(line) for c in rx.chrome):
                ignored.append(line)
                continue
            if in_appendix or (drafts and rx.appendix.match(line)):
                in_appendix = True
                unclassified.append(line)
                continue
            sec = self._section_match(line, sections[-1].number if sections else 0)
            if sec:
                sections.append(sec)
                section_measure_number = 0
                continue
            if sections or not has_sections:
                m = self._measure_match(line, last_measure_number, section_measure_number)
                if m:
                    number, label, head = m
                    if not sections:
                        sections.append(ParsedSection(number=1, title=_("正文"), label=""))
                    if self.fmt.numbering == "global":
                        if number != last_measure_number + 1:
                            warnings.append(
                                _("措施编号不连续：%(a)s 之后是 %(b)s") % {"a": last_measure_number, "b": number}
                            )
                        last_measure_number = number
                    else:
                        section_measure_number = number
                        running += 1
                        number = running
                        last_measure_number = number
                    draft = _MeasureDraft(number, label, head)
                    drafts.append((sections[-1], draft))
                    continue
            if drafts and drafts[-1][0] is (sections[-1] if sections else None):
                drafts[-1][1].lines.append(line)
            elif sections:
                sections[-1].intro.append(line)
            else:
                preamble.append(line)

        title, issuer, issued_on, preamble_rest = self._metadata(preamble, source_name)
        plan = ParsedPlan(
            title=title,
            issuer=issuer,
            issued_on=issued_on,
            starts_on=issued_on or clock.today(),
            ends_on=dt.date.min,
            format=self.fmt.name,
            source_name=source_name,
            source_text=text,
            source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            sections=sections,
            preamble=preamble_rest,
            unclassified=unclassified,
            ignored=ignored,
            warnings=warnings,
        )
        for section, draft in drafts:
            section.measures.append(self._measure(draft, plan))
        self._fill_plan_dates(plan)
        return plan

    def _section_match(self, line: str, previous: int) -> ParsedSection | None:
        if len(line) > 64:
            return None
        for rx in self.rx.sections:
            m = rx.match(line)
            if m:
                number = cn_to_int(m.group("num"))
                if number != previous + 1:
                    return None
                title = m.group("title").strip().rstrip("。：:")
                return ParsedSection(number=number, title=title, label=line[: m.start("title")].strip())
        return None

    def _measure_match(self, line: str, last_global: int, last_in_section: int):
        for rx in self.rx.measures:
            m = rx.match(line)
            if not m:
                continue
            number = cn_to_int(m.group("num"))
            label = line[: m.start("rest")].strip()
            if self.fmt.numbering == "global":
                ok = last_global < number <= last_global + self.fmt.max_number_gap
            else:
                # Per-part numbering restarts at 1; a document numbering straight through is accepted too.
                ok = number == last_in_section + 1 or (last_in_section == 0 and number == last_global + 1)
            if ok:
                return number, label, m.group("rest").strip()
        return None

    def _metadata(self, preamble: list[str], source_name: str):
        rx = self.rx
        title = issuer_lines = None
        issued_on = None
        rest: list[str] = []
        issuers: list[str] = []
        for line in preamble:
            m = rx.title.match(line)
            if m and title is None:
                title = m.group("title")
                continue
            if m and m.group("title") == title:
                continue
            if rx.issuer.match(line) and line != title:
                if line not in issuers:
                    issuers.append(line)
                continue
            d = rx.date.match(line)
            if d and issued_on is None:
                try:
                    issued_on = dt.date(cn_to_int(d.group("y")), cn_to_int(d.group("m")), cn_to_int(d.group("d")))
                    continue
                except ValueError:
                    pass
            rest.append(line)
        if title is None:
            short = [line for line in preamble if len(line) <= 80]
            title = short[0] if short else (source_name.rsplit(".", 1)[0] if source_name else _("未命名实施方案"))
        issuer_lines = " ".join(issuers)
        return title[:200], issuer_lines[:200], issued_on, rest

    # ---- pass 2: measures -----------------------------------------------------------------------------
    def _measure(self, draft: _MeasureDraft, plan: ParsedPlan) -> ParsedMeasure:
        head = draft.head
        title, rest = split_title(head)
        body_lines = [rest] if rest else []
        resp_lines = []
        for line in draft.lines:
            if self.rx.key_line.match(line):
                resp_lines.append(line)
            else:
                body_lines.append(line)
        body = "\n".join(body_lines)
        responsibility = None
        if resp_lines:
            responsibility = self._responsibility("；".join(resp_lines), raw="\n".join(resp_lines), plan=plan)
        block = find_block(body, self.rx)
        if block:
            start, end = block
            inner = body[start + 1 : end]
            block_resp = self._responsibility(inner, raw=body[start : end + 1], plan=plan)
            responsibility = merge_responsibility(responsibility, block_resp)
            body = (body[:start] + body[end + 1 :]).strip()
        if responsibility is None:
            responsibility = self._prose_responsibility(body)
        if responsibility is None and "牵头" in body:
            plan.unclassified.append(
                _("措施 %(n)s：含“牵头”字样但未能识别责任分工：%(text)s")
                % {"n": draft.number, "text": shorten(body[body.index("牵头") - 20 :], 60)}
            )
        measure = ParsedMeasure(
            number=draft.number, label=draft.label, title=title[:200], body=body, responsibility=responsibility
        )
        scan = f"{title}。{body}" if body else title
        measure.targets = self._targets(scan, measure, plan)
        return measure

    def _responsibility(self, inner: str, *, raw: str, plan: ParsedPlan) -> ParsedResponsibility:
        f = self.fmt
        resp = ParsedResponsibility(raw_text=raw.strip())
        matches = list(self.rx.key.finditer(inner))
        head = inner[: matches[0].start()].strip(" ；;，,") if matches else inner
        if head:
            plan.unclassified.append(_("责任分工中未识别的内容：%(text)s") % {"text": head})
        for i, m in enumerate(matches):
            value_end = matches[i + 1].start() if i + 1 < len(matches) else len(inner)
            value = inner[m.end() : value_end].strip().strip("；;，,。 ")
            key = m.group("key")
            if key in f.lead_leader_keys:
                resp.lead_leaders.extend(self._leaders(value))
            elif key in f.lead_unit_keys:
                units, phrases, marked = self._units(value)
                if marked and len(marked) < len(units):
                    # 责任单位：市城管局（牵头）、市住建局 — the marked ones lead, the rest are members.
                    resp.lead_units.extend(u for u in units if u in marked)
                    resp.member_units.extend(u for u in units if u not in marked)
                    resp.member_phrases.extend(u for u in phrases if u not in marked)
                else:
                    resp.lead_units.extend(units)
                    if phrases:
                        resp.member_phrases.extend(x for x in phrases if x not in resp.member_phrases)
            elif key in f.member_unit_keys:
                units, phrases, _marked = self._units(value)
                resp.member_units.extend(units)
                resp.member_phrases.extend(phrases)
            elif key in f.deadline_keys:
                resp.deadline = self._explicit_date(value, plan)
                if resp.deadline is None:
                    plan.warnings.append(_("无法识别的完成时限：%(text)s") % {"text": value})
        return resp

    def _prose_responsibility(self, body: str) -> ParsedResponsibility | None:
        for rx in self.rx.prose:
            m = rx.search(body)
            if not m:
                continue
            resp = ParsedResponsibility(raw_text=m.group(0).strip())
            units, phrases, _marked = self._units(m.group("lead"))
            resp.lead_units = units
            resp.member_phrases.extend(phrases)
            if "members" in m.groupdict() and m.group("members"):
                units, phrases, _marked = self._units(m.group("members"))
                resp.member_units = units
                resp.member_phrases.extend(phrases)
            return resp
        return None

    def _leaders(self, value: str) -> list[ParsedLeader]:
        leaders: list[ParsedLeader] = []
        value = value.strip()
        for chunk in re.split(r"[；;]", value):
            paren = re.fullmatch(r"\s*(?P<name>[\u4e00-\u9fff·]{2,4})\s*[（(](?P<pos>[^）)]+)[）)]\s*", chunk)
            if paren:
                leaders.append(ParsedLeader(paren.group("name"), paren.group("pos")))
                continue
            position: list[str] = []
            for token in [t.strip() for t in re.split(r"[、，,]", chunk) if t.strip()]:
                m = self.rx.leader_titles.match(token)
                if m:
                    position.append(m.group("pos"))
                    leaders.append(ParsedLeader(m.group("name"), "、".join(position)))
                    position = []
                elif token.endswith(p.LEADER_TITLES):
                    position.append(token)
                else:
                    leaders.append(ParsedLeader(token, "、".join(position)))
                    position = []
        return leaders

    def _units(self, value: str) -> tuple[list[str], list[str], set[str]]:
        """Split a unit list. Returns (entries as written, the collective ones, the ones marked 牵头)."""
        units: list[str] = []
        phrases: list[str] = []
        marked: set[str] = set()
        for group in re.split(r"[，,；;]", value):
            parts = [x.strip() for x in re.split(r"[、/]", group) if x.strip()]
            while parts:
                raw = parts.pop(0)
                name = re.sub(r"[（(][^）)]*[）)]", "", raw).strip()
                name = re.sub(r"等(?:单位|部门)?$", "", name).strip().strip("。 ")
                if not name:
                    continue
                if "牵头" in raw[len(name) :] or re.search(r"[（(]\s*牵头\s*[）)]", raw):
                    marked.add(name)
                if self.is_collective(name):
                    if any(rx.match(name) for _scope, rx in self.rx.scopes):
                        # seed §20 "各县市区委宣传部、文明办": the bare 文明办 shares the 各县市区 prefix.
                        while parts and is_bare_department(parts[0]):
                            name += "、" + parts.pop(0)
                    phrases.append(name)
                units.append(name)
        return units, phrases, marked

    def is_collective(self, name: str) -> bool:
        return any(rx.search(name) for rx in self.rx.collective)

    # ---- pass 3: targets ------------------------------------------------------------------------------
    def _explicit_date(self, value: str, plan: ParsedPlan) -> dt.date | None:
        m = self.rx.year.search(value)
        if m:
            return year_end(int(m.group("y")), int(m.group("m")) if m.group("m") else None)
        m = self.rx.five_year.search(value)
        if m:
            return year_end(p.FIVE_YEAR_PLANS[m.group("fyp")])
        m = self.rx.relative.search(value)
        if m:
            return add_years(plan.starts_on, cn_to_int(m.group("n") or m.group("n2")))
        return None

    def _markers(self, scope: str, masked: list[tuple[int, int]], plan: ParsedPlan) -> list[_Marker]:
        markers: list[_Marker] = []
        for m in self.rx.year.finditer(scope):
            if not in_spans(m.start("y"), masked):
                date = year_end(int(m.group("y")), int(m.group("m")) if m.group("m") else None)
                markers.append(_Marker(m.start(), m.end(), "deadline", date, explicit=True))
        for m in self.rx.five_year.finditer(scope):
            date = year_end(p.FIVE_YEAR_PLANS[m.group("fyp")])
            markers.append(_Marker(m.start(), m.end(), "deadline", date, explicit=True))
        for m in self.rx.relative.finditer(scope):
            if not in_spans(m.start(), masked):
                years = cn_to_int(m.group("n") or m.group("n2"))
                markers.append(_Marker(m.start(), m.end(), "deadline", ("relative", years)))
        for rx, kind in self.rx.recurrence:
            for m in rx.finditer(scope):
                if not in_spans(m.start(), masked) and not any(k.pos <= m.start() < k.end for k in markers):
                    markers.append(_Marker(m.start(), m.end(), "recurrence", kind))
        return sorted(markers, key=lambda k: k.pos)

    def _targets(self, text: str, measure: ParsedMeasure, plan: ParsedPlan) -> list[ParsedTarget]:
        targets: list[ParsedTarget] = []
        default_deadline = measure.responsibility.deadline if measure.responsibility else None
        for _start, scope in sentences(text):
            masked = quote_spans(scope)
            markers = self._markers(scope, masked, plan)
            found = self._quantities(scope, masked, markers, plan, default_deadline)
            found += self._milestones(scope, masked, markers, found, default_deadline)
            found.sort(key=lambda item: item[0])
            targets.extend(t for _pos, t in found)
            self._report_stray_numbers(scope, masked, found, measure, plan)
        for order, target in enumerate(targets):
            target.order = order
        return targets

    def _when(self, markers: list[_Marker], pos: int, plan: ParsedPlan, default):
        deadline = recur = None
        for k in markers:
            if k.pos >= pos:
                break
            if k.kind == "deadline":
                deadline = k
            else:
                recur = k
        recurrence = ""
        if recur is not None and (deadline is None or recur.pos > deadline.pos):
            recurrence = recur.value
        if deadline is None:
            return default, recurrence
        if isinstance(deadline.value, tuple):
            return add_years(plan.starts_on, deadline.value[1]), recurrence
        return deadline.value, recurrence

    def _quantities(self, scope, masked, markers, plan, default_deadline):
        rx = self.rx
        found: list[tuple[int, ParsedTarget]] = []
        quantities = [m for m in rx.quantity.finditer(scope) if not in_spans(m.start(), masked)]
        quantities = [m for m in quantities if not ignored_number(scope, m, rx)]
        consumed_end = 0
        previous: dict | None = None
        for i, q in enumerate(quantities):
            clause_start = boundary_before(scope, q.start(), PREFIX_BOUNDARIES)
            start = max(clause_start, consumed_end)
            prefix = scope[start : q.start()]
            next_q = quantities[i + 1].start() if i + 1 < len(quantities) else len(scope)
            trail_end = boundary_after(scope, q.end(), TRAIL_BOUNDARIES, limit=next_q)
            quoted = re.match(r"“[^”]{1,20}”", scope[q.end() : next_q])
            if trail_end == q.end() and quoted:
                # seed §12 打通30条“断头路”: the quoted name is what is counted.
                trail_end = q.end() + quoted.end()
            trailing = scope[q.end() : trail_end].strip()
            consumed_end = trail_end
            trailing = re.sub(r"[和及与并]$", "", trailing).strip()
            if trailing.startswith(("的", "标准", "目标", "规划")):
                trailing = ""
            own_words = comparator_from(prefix, q.group("suffix") or "", has_range=bool(q.group("upper")))
            metric_prefix = clean_metric(prefix, rx)
            comparator = own_words
            if not metric_prefix and previous and previous["clause"] == clause_start:
                metric_prefix = previous["prefix"]
                if not has_comparator_words(prefix) and not q.group("suffix"):
                    comparator = previous["comparator"]
                elif q.group("suffix") and previous["comparator"] == "reduce":
                    comparator = "reduce"
            metric = (metric_prefix + trailing).strip("，,、：: ") or clean_metric(clause_text(scope, q.start()), rx)
            if len(metric) < 3 or metric.startswith(("每个", "最低", "其中", "平均每")):
                # seed §19 "达到最低每个不少于600平方米的标准": name it after the clause before.
                before = clause_text(scope, clause_start - 2) if clause_start > 1 else ""
                metric = (clean_metric(rx.quantity.sub("", before), rx) + "：" + metric).strip("：")
            deadline, recurrence = self._when(markers, q.start(), plan, default_deadline)
            unit = q.group("unit").replace("％", "%")
            target = ParsedTarget(
                text=clause_text(scope, q.start()),
                metric=metric[:200],
                value=Decimal(q.group("value")),
                upper=Decimal(q.group("upper")) if q.group("upper") else None,
                unit=unit,
                comparator=comparator,
                deadline=deadline,
                recurrence=recurrence,
                starts_on=plan.starts_on,
            )
            found.append((q.start(), target))
            previous = {"clause": clause_start, "prefix": metric_prefix, "comparator": comparator}
        return found

    def _milestones(self, scope, masked, markers, found, default_deadline):
        """Dated commitments without a number: seed §6 "2020年底完成社会主义核心价值观主题公园建设"."""
        explicit = [k for k in markers if k.kind == "deadline" and k.explicit]
        if not explicit:
            return []
        result: list[tuple[int, ParsedTarget]] = []
        positions = [pos for pos, _t in found]
        clauses = list(clause_spans(scope))
        for index, (start, end) in enumerate(clauses):
            marker = next((k for k in reversed(explicit) if k.pos < end), None)
            if marker is None or any(start <= pos < end for pos in positions):
                continue
            clause = scope[start:end]
            verb = next(
                (v for v in self.rx.milestone_verbs.finditer(clause) if not in_spans(start + v.start(), masked)),
                None,
            )
            if verb is None or start + verb.start() < marker.pos:
                continue
            metric = clean_metric(clause, self.rx, keep_verbs=True)
            if len(metric) < 8 and index > 0:
                before = scope[clauses[index - 1][0] : clauses[index - 1][1]]
                metric = f"{clean_metric(before, self.rx, keep_verbs=True)}，{metric}".strip("，")
            result.append(
                (
                    start + verb.start(),
                    ParsedTarget(
                        text=clause.strip(),
                        metric=metric[:200],
                        value=None,
                        unit="",
                        comparator="gte",
                        deadline=marker.value,
                        recurrence="",
                    ),
                )
            )
        return result

    def _report_stray_numbers(self, scope, masked, found, measure, plan):
        """Digits that are neither a target, a date, nor a known name (5A级, 40周年) are listed, not dropped."""
        spans = [(m.start(), m.end()) for m in self.rx.quantity.finditer(scope)]
        spans += [(m.start(), m.end()) for m in self.rx.ignore_number.finditer(scope)]
        spans += [(m.start(), m.end()) for m in self.rx.year.finditer(scope)]
        for m in self.rx.number.finditer(scope):
            if in_spans(m.start(), masked) or any(a <= m.start() < b for a, b in spans):
                continue
            plan.unclassified.append(
                _("措施 %(n)s：未识别为指标的数字“%(text)s”")
                % {"n": measure.number, "text": scope[max(0, m.start() - 12) : m.end() + 8]}
            )

    def _fill_plan_dates(self, plan: ParsedPlan) -> None:
        """Plan end = the end of the latest year the plan names (seed: 2020-12-31); undated targets get it."""
        targets = list(plan.targets)
        dated = [t.deadline for t in targets if t.deadline]
        for measure in plan.measures:
            if measure.responsibility and measure.responsibility.deadline:
                dated.append(measure.responsibility.deadline)
        explicit_years = [year_end(d.year) for d in dated if (d.month, d.day) == (12, 31) or d.day >= 28]
        if explicit_years:
            plan.ends_on = max(explicit_years)
        elif dated:
            plan.ends_on = max(dated)
        else:
            plan.ends_on = year_end(plan.starts_on.year + 2)
        if plan.ends_on < plan.starts_on:
            plan.ends_on = plan.starts_on
        for target in targets:
            target.starts_on = plan.starts_on
            if target.deadline is None:
                target.deadline = plan.ends_on


# ---- helpers -------------------------------------------------------------------------------------------

PREFIX_BOUNDARIES = "，,：:（()）；;。"
TRAIL_BOUNDARIES = "，,、：:（()）；;。“\""
CLAUSE_BOUNDARIES = "，,：:；;。"


def split_title(head: str) -> tuple[str, str]:
    """'11.深化文明城管行动。聚焦…' → ('深化文明城管行动', '聚焦…')."""
    head = head.strip()
    for stop in ("。", "：", ":"):
        idx = head.find(stop)
        if 0 < idx <= 60:
            return head[:idx].strip(), head[idx + 1 :].strip()
    if len(head) <= 60:
        return head.rstrip("。；;，,"), ""
    idx = head.find("，")
    if 0 < idx <= 60:
        return head[:idx], head[idx + 1 :].strip()
    return head[:40], head[40:]


def find_block(body: str, rx: p.CompiledFormat) -> tuple[int, int] | None:
    """The (start, end) of a trailing parenthesised responsibility block, seed §11 "（牵头领导：…）"."""
    for m in reversed(list(rx.block_start.finditer(body))):
        depth = 0
        for i in range(m.start(), len(body)):
            ch = body[i]
            if ch in "（(":
                depth += 1
            elif ch in "）)":
                depth -= 1
                if depth == 0:
                    if not body[i + 1 :].strip(" 。；;\n"):
                        return m.start(), i
                    break
    return None


def merge_responsibility(a: ParsedResponsibility | None, b: ParsedResponsibility) -> ParsedResponsibility:
    if a is None:
        return b
    a.raw_text = f"{a.raw_text}\n{b.raw_text}".strip()
    a.lead_leaders += b.lead_leaders
    a.lead_units += [u for u in b.lead_units if u not in a.lead_units]
    a.member_units += [u for u in b.member_units if u not in a.member_units]
    a.member_phrases += [u for u in b.member_phrases if u not in a.member_phrases]
    a.deadline = a.deadline or b.deadline
    return a


def is_bare_department(name: str) -> bool:
    return (
        len(name) <= 8
        and not re.match(r"^(?:市|株洲|中国|国网|各|省|县|区)", name)
        and bool(re.search(r"(?:办|局|委|部|部门|中心)$", name))
    )


def sentences(text: str):
    start = 0
    for m in re.finditer(r"[。；;！？!?\n]", text):
        if m.start() > start:
            yield start, text[start : m.start()]
        start = m.end()
    if start < len(text):
        yield start, text[start:]


def quote_spans(scope: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"“[^”]*”|\"[^\"]*\"|《[^》]*》|‘[^’]*’|「[^」]*」", scope):
        spans.append((m.start(), m.end()))
    return spans


def in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def ignored_number(scope: str, m: re.Match, rx: p.CompiledFormat) -> bool:
    for ig in rx.ignore_number.finditer(scope, max(0, m.start() - 2), min(len(scope), m.end() + 3)):
        if ig.start() <= m.start() < ig.end() and not ig.group(0).startswith(m.group(0)):
            return True
    # Seed §22 “6个100%” is a slogan (and quoted); an unquoted 个 glued to a number is read the same way.
    return m.group("unit") == "个" and bool(re.match(r"\d", scope[m.end() : m.end() + 1]))


def boundary_before(scope: str, pos: int, chars: str) -> int:
    for i in range(pos - 1, -1, -1):
        if scope[i] in chars:
            return i + 1
    return 0


def boundary_after(scope: str, pos: int, chars: str, *, limit: int) -> int:
    for i in range(pos, min(limit, len(scope))):
        if scope[i] in chars:
            return i
    return min(limit, len(scope))


def clause_text(scope: str, pos: int) -> str:
    start = boundary_before(scope, max(pos, 0), CLAUSE_BOUNDARIES)
    end = boundary_after(scope, max(pos, 0), CLAUSE_BOUNDARIES, limit=len(scope))
    return scope[start:end].strip()


def clause_spans(scope: str):
    start = 0
    for i, ch in enumerate(scope):
        if ch in CLAUSE_BOUNDARIES:
            if i > start:
                yield start, i
            start = i + 1
    if start < len(scope):
        yield start, len(scope)


def has_comparator_words(prefix: str) -> bool:
    words = [w for group in p.COMPARATOR_WORDS.values() for w in group]
    return any(w in prefix for w in words) or prefix.rstrip().endswith(p.GTE_ENDINGS)


def comparator_from(prefix: str, suffix: str, *, has_range: bool = False) -> str:
    # Negated forms first: 不少于/不低于 are floors (gte), 不超过/不高于 ceilings (lte); they contain 少于/低于.
    for word, comparator in p.NEGATED_COMPARATORS:
        prefix = prefix.replace(word, f"<{comparator}>")
    if any(w in prefix for w in p.COMPARATOR_WORDS["reduce"]):
        return "reduce"
    if suffix in p.LTE_SUFFIXES or "<lte>" in prefix or any(w in prefix for w in p.COMPARATOR_WORDS["lte"]):
        return "lte"
    if suffix in p.GTE_SUFFIXES or "<gte>" in prefix or has_range:
        return "gte"
    if any(w in prefix for w in p.COMPARATOR_WORDS["gte"]) or prefix.rstrip().endswith(p.GTE_ENDINGS):
        return "gte"
    return "eq"


def clean_metric(text: str, rx: p.CompiledFormat, *, keep_verbs: bool = False) -> str:
    """What is being counted, without time, hedge and comparator words around it."""
    text = rx.year.sub("", text)
    text = rx.five_year.sub("", text)
    text = rx.relative.sub("", text)
    for r, _kind in rx.recurrence:
        text = r.sub("", text)
    text = re.sub(r"^[、，,：:（(\s]+", "", text.strip())
    changed = True
    while changed:
        changed = False
        for word in p.HEDGE_PREFIXES:
            if keep_verbs and word in p.MILESTONE_VERBS:
                continue
            if text.startswith(word) and len(text) > len(word):
                text = text[len(word) :].lstrip("，,、 ")
                changed = True
        if text.startswith(("到", "至")) and len(text) > 1:
            text = text[1:]
            changed = True
    changed = True
    while changed:
        changed = False
        for word in p.TRAILING_COMPARATOR_WORDS:
            if text.endswith(word) and len(text) > len(word):
                text = text[: -len(word)]
                changed = True
    return text.strip("，,、：: ")


def shorten(text: str, limit: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
