"""`match_address(text)`: the district, street and community a typed Chinese address names, offline.

    from wenming.geo.geocode import match_address, AddressMatch

A report without a map pin (a hotline call, the public form without a pin) has only its address. This reads the
jurisdiction names this deployment already has (the NBS districts/counties and streets/towns, any communities) and
finds them in the text; no network, no external geocoder, no coordinates. Rules (each one's reason is given where
it is applied below):

- The text is normalised first: full-width letters, digits and brackets become half-width (NFKC) and all spaces go.
- The province and city (湖南省, 株洲市, 株洲) are ignored: every answer lies in this city anyway.
- A name is found by its full official name (建宁街道, also 建宁街道办事处 / 建宁街办), a former name (株洲县 →
  渌口区) or its short form: the name without its level's suffix (区/县/市, 街道/镇/乡, 社区/村), only when that
  leaves at least 2 characters and not when it is followed by a road suffix (建设路, 建设中路 and 建设大道 are
  roads, not 建设街道).
- Where names overlap, the longest wins, and a full name wins over a short form of the same length.
- Each level is decided by one mention, its lead: the district first, then the street inside it, then the
  community inside that. The lead is a full name before a short form, then the first in the text; later mentions
  of the same level (usually landmarks: 庆云小区) never override it.
- A district's short form (芦淞, 醴陵) names it anywhere. A street's, town's or community's short form is an
  everyday word as often as a place (新市场 is not 新市镇, 明月小区 not 明月镇), so it counts only inside a place
  already named in the text (荷塘区仙庾 → 仙庾镇; 仙庾 alone → nothing): a wrong guess would route the case to
  another government, no guess leaves it to the office.
- A name that names several places counts only inside the place already found (月塘 inside 天元区). When the
  places it names share a district, that district is kept and `ambiguous` says which text was unclear.
- A street found without a district gives its district; a community its street and district.
- A mention that lies outside the place already found (荷塘区建宁街道: 建宁街道 is in 芦淞区) keeps the coarser
  place only and names the mention in `conflict`.

The name table is held in memory per process by `signals.names`, a core.snapshot.ProcessSnapshot watching
Jurisdiction (rebuilt at once for this process's changes, within `names.check_seconds` (3 s) for other
processes'), so a call asks the database nothing but that snapshot's occasional fingerprint. Returned Jurisdiction
instances are shared between calls: treat them as read-only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import signals
from .divisions import FORMER_NAMES
from .models import Jurisdiction, JurisdictionKind

# Levels that can be an answer, coarse to fine. Cities and provinces are never an answer (see _IGNORED_KINDS).
DEPTH = {JurisdictionKind.DISTRICT: 1, JurisdictionKind.STREET: 2, JurisdictionKind.COMMUNITY: 3}
# Each level's suffixes; removing one gives the short form people say (芦淞, 建宁, 仙庾). Longest first.
SUFFIXES = {
    JurisdictionKind.DISTRICT: ("区", "县", "市"),
    JurisdictionKind.STREET: ("街道", "镇", "乡"),
    JurisdictionKind.COMMUNITY: ("社区", "村"),
}
# The province and the city prefix every address may carry. The province has no row (the NBS list starts at the
# city), so its names are written here; the city's come from its Jurisdiction row (株洲市, and its short form 株洲).
_IGNORED_KINDS = (JurisdictionKind.PROVINCE, JurisdictionKind.CITY)
PROVINCE_NAMES = ("湖南省", "湖南")
# A short form shorter than this is too common a character to mean a place (攸县 → 攸).
MIN_SHORT = 2
# A short form followed by these is a road named after the place, not the place's office: 建设路, 建设中路,
# 建设一路, 建设大道, 建设街 (but 建设街道 is the full name, found as such). An optional direction or ordinal
# sits between the name and the road word (建设北路, 建宁二街, 建设2路).
ROAD_AFTER = re.compile(r"(?:[东南西北中]|[一二三四五六七八九十]+|[0-9]+)?(?:大道|大街|路|街|道|巷)")
# ... except 街道/街办 right after a short form: that is a unit with the wrong suffix (渌口街道 for 渌口镇), which
# still names the unit and is no road.
ADMIN_AFTER = ("街道", "街办")
# Road words a short form may not end with: the short form of 嵩山路街道 is 嵩山路, the road itself, which runs
# through more than one street; only the full name 嵩山路街道 (or 嵩山路街办) names the office.
ROAD_ENDINGS = ("路", "街", "道", "巷")
# Addresses are at most 200 characters at intake; a longer text is cut so a pasted document costs no more.
MAX_TEXT = 500
_NOTE = re.compile(r"\([^()]*\)$")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC: "芦淞区　建宁" and "ＡＢ１" read as typed on a half-width keyboard) and no
    whitespace at all: Chinese addresses have no word spaces, so a space is noise ("建宁 街道" is 建宁街道)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class AddressMatch:
    """What an address names. `matched` holds the pieces of the normalised text that decided the answer, in text
    order; `conflict` a mention outside the place found (kept out of the answer); `ambiguous` a short form that
    names several places (only what they share is in the answer)."""

    district: Jurisdiction | None
    street: Jurisdiction | None = None
    community: Jurisdiction | None = None
    matched: tuple[str, ...] = ()
    conflict: str = ""
    ambiguous: str = ""


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    text: str
    units: tuple[Jurisdiction, ...]  # empty: an ignored name (province, city)
    short: bool


class _NameTable:
    """Full names, short forms and ignored names → Jurisdictions, with each unit's chain (district first)."""

    def __init__(self) -> None:
        units = {j.pk: j for j in Jurisdiction.objects.select_related("government")}
        for j in units.values():
            # Wire parents in memory so chains need no query (as locate's index does).
            if j.parent_id is not None and j.parent_id in units:
                j.parent = units[j.parent_id]
        full: dict[str, list[Jurisdiction]] = {}
        short: dict[str, list[Jurisdiction]] = {}
        ignored = set(PROVINCE_NAMES)
        self.chain: dict[int, tuple[Jurisdiction, ...]] = {}
        for j in sorted(units.values(), key=lambda j: j.code):
            name = _NOTE.sub("", normalise(j.name))  # "建宁一社区（演示）": the demo note is not typed
            if not name:
                continue
            if j.kind in _IGNORED_KINDS:
                ignored.add(name)
                if name.endswith(("省", "市")) and len(name) > MIN_SHORT:
                    ignored.add(name[:-1])  # 株洲市 → 株洲
                continue
            if j.kind not in DEPTH:
                continue
            self.chain[j.pk] = _chain(j)
            for key in {name, normalise(j.name), *_variants(name, j.kind)}:
                _add(full, key, j)
            for former in FORMER_NAMES.get(j.code, ()):
                # A former name is a full name of the current unit (株洲县 → 渌口区). No short form: 株洲县's would
                # be 株洲, the city itself.
                _add(full, normalise(former), j)
            key = _short_form(name, SUFFIXES[j.kind])
            if key:
                _add(short, key, j)
        self.ignored = frozenset(ignored)
        self.full = {k: tuple(v) for k, v in full.items()}
        # A short form equal to a full name or an ignored name is that name, never the short form.
        self.short = {k: tuple(v) for k, v in short.items() if k not in self.full and k not in self.ignored}
        self.lengths = sorted({len(k) for k in (*self.full, *self.short, *self.ignored)}, reverse=True)

    def depth(self, unit: Jurisdiction | None) -> int:
        return 0 if unit is None else DEPTH[unit.kind]

    def scan(self, text: str) -> list[_Hit]:
        """Every name in the text, then the non-overlapping choice: longest first (the most specific name: 湖南醴陵
        经济开发区 over 醴陵, 来龙门街道 over 龙门), a full name before a short form of the same length, then the
        earlier one. Ignored names take part, so 株洲 is never read out of 株洲县."""
        found: list[_Hit] = []
        n = len(text)
        for i in range(n):
            for length in self.lengths:
                if i + length > n:
                    continue
                piece = text[i : i + length]
                if piece in self.full:
                    found.append(_Hit(i, i + length, piece, self.full[piece], False))
                elif piece in self.ignored:
                    found.append(_Hit(i, i + length, piece, (), False))
                elif piece in self.short and not _road_follows(text, i + length):
                    found.append(_Hit(i, i + length, piece, self.short[piece], True))
        taken = [False] * n
        chosen = []
        for hit in sorted(found, key=lambda h: (h.start - h.end, h.short, h.start)):
            if not any(taken[hit.start : hit.end]):
                taken[hit.start : hit.end] = [True] * (hit.end - hit.start)
                if hit.units:
                    chosen.append(hit)
        return sorted(chosen, key=lambda h: h.start)

    def may_name(self, hit: _Hit, unit: Jurisdiction, current: Jurisdiction | None) -> bool:
        """A full name names its place anywhere, and so does a district's short form (芦淞, 醴陵). A street's,
        town's or community's short form is an everyday word as often as a place (新市场 is not 新市镇, 明月小区
        not 明月镇, 桂花小区 not 桂花街道): it counts only below a place already named in the text, and a wrong
        route would send the case to another government, so otherwise it is no mention at all."""
        if not hit.short or unit.kind == JurisdictionKind.DISTRICT:
            return True
        return current is not None and current in self.chain[unit.pk]

    def resolve(self, hits: list[_Hit]) -> AddressMatch | None:
        current: Jurisdiction | None = None
        used: list[_Hit] = []
        conflict = ambiguous = ""
        pending = list(hits)
        while True:
            depth = self.depth(current)
            # Mentions that could name something finer than what is found so far.
            eligible = [h for h in pending if any(self.depth(u) > depth and self.may_name(h, u, current)
                                                  for u in h.units)]
            if not eligible:
                break
            # The lead: the coarsest level first (a district scopes its streets, wherever it is in the text), then
            # a full name before a short form, then the first in the text.
            lead = min(eligible, key=lambda h: (min(self.depth(u) for u in h.units if self.depth(u) > depth),
                                               h.short, h.start))
            pending.remove(lead)
            inside = [u for u in lead.units if self.depth(u) > depth and self.may_name(lead, u, current)
                      and (current is None or current in self.chain[u.pk])]
            if not inside:
                # Named, but not inside the place already found: the coarser place is the surer one.
                conflict = lead.text
                break
            if len(inside) == 1:
                current = inside[0]
                used.append(lead)
                continue
            # Several places by this name: keep what they all lie in, if that is finer than what is found.
            ambiguous = lead.text
            shared = _shared(self.chain[u.pk] for u in inside)
            if shared is None or self.depth(shared) <= depth:
                break
            current = shared
            used.append(lead)
        if current is None:
            return None
        levels = {u.kind: u for u in self.chain[current.pk]}
        return AddressMatch(
            district=levels.get(JurisdictionKind.DISTRICT),
            street=levels.get(JurisdictionKind.STREET),
            community=levels.get(JurisdictionKind.COMMUNITY),
            matched=tuple(h.text for h in sorted(used, key=lambda h: h.start)),
            conflict=conflict,
            ambiguous=ambiguous,
        )


def _add(table: dict[str, list[Jurisdiction]], key: str, unit: Jurisdiction) -> None:
    units = table.setdefault(key, [])
    if unit not in units:
        units.append(unit)


def _short_form(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix):
            short = name[: -len(suffix)]
            if len(short) >= MIN_SHORT and not short.endswith(ROAD_ENDINGS):
                return short
            return ""
    return ""  # no level suffix (攸县工业园, 汉背管理处): only the full name is known


def _variants(name: str, kind: str) -> list[str]:
    """Other full forms people type for a street office: 建宁街道办事处, 建宁街道办, 建宁街办."""
    if kind == JurisdictionKind.STREET and name.endswith("街道"):
        return [f"{name}办事处", f"{name}办", f"{name[:-1]}办"]
    return []


def _chain(unit: Jurisdiction) -> tuple[Jurisdiction, ...]:
    """The unit and its ancestors down from the district (cities and provinces left out)."""
    chain, node = [], unit
    while node is not None and node.kind in DEPTH:
        chain.append(node)
        node = node.parent
    return tuple(reversed(chain))


def _shared(chains) -> Jurisdiction | None:
    """The finest unit in every chain, or None."""
    chains = list(chains)
    shared = None
    for level in zip(*chains, strict=False):
        if any(u is not level[0] for u in level):
            break
        shared = level[0]
    return shared


def _road_follows(text: str, end: int) -> bool:
    if text.startswith(ADMIN_AFTER, end):
        return False
    return ROAD_AFTER.match(text, end) is not None


def match_address(text) -> AddressMatch | None:
    """The district, street and community `text` names (see the module notes), or None when it names none.

    Never raises for any input: anything that is not a non-empty string is no match.
    """
    if not isinstance(text, str):
        return None
    text = normalise(text[: MAX_TEXT * 2])[:MAX_TEXT]
    if not text:
        return None
    table = signals.names.get()
    return table.resolve(table.scan(text))
