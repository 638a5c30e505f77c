"""Score rates (得分率) and grades: pure reads over item scores (DESIGN.md §3 "metrics are pure functions").

得分率 = points scored / points possible over the items actually scored (standards.md: results are score rates;
an item not yet scored counts neither way). Grades come from GradeBand rows (seed §25), never from constants.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from wenming.accounts.models import OrgUnit
from wenming.geo.models import Jurisdiction

from .models import GradeBand, InspectionPoint, ItemScore, PointType, Round, RoundStatus

HUNDRED = Decimal(100)


@dataclasses.dataclass
class Rate:
    scored: Decimal = Decimal(0)
    possible: Decimal = Decimal(0)
    items: int = 0
    failed: int = 0

    @property
    def rate(self) -> Decimal | None:
        """Exact percentage, or None when nothing was scored (a point with no scores has no rate, not 0%)."""
        if not self.possible:
            return None
        return self.scored * HUNDRED / self.possible

    @property
    def rate_display(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.scored + other.scored, self.possible + other.possible, self.items + other.items,
                    self.failed + other.failed)


@dataclasses.dataclass
class Row:
    key: int | None
    name: str
    rate: Rate
    grade: GradeBand | None = None
    obj: object = None


# dimension → (path from ItemScore to the grouping id, model, label)
DIMENSIONS = {
    "point": ("inspection__point_id", InspectionPoint, _("点位")),
    "point_type": ("inspection__point__point_type_id", PointType, _("点位类型")),
    "street": ("inspection__point__street_id", Jurisdiction, _("街道")),
    "district": ("inspection__point__district_id", Jurisdiction, _("区县")),
    "unit": ("inspection__point__responsible_unit_id", OrgUnit, _("责任单位")),
}


def _aggregate(scores, path: str) -> dict:
    rows = scores.values(path).annotate(
        scored=Sum("score"), possible=Sum("item__points"), n=Count("pk"), failed=Count("pk", filter=Q(passed=False))
    )
    return {
        r[path]: Rate(Decimal(r["scored"] or 0), Decimal(r["possible"] or 0), r["n"], r["failed"]) for r in rows
    }


def round_total(rnd: Round) -> Rate:
    return sum(_aggregate(ItemScore.objects.filter(inspection__round=rnd), "inspection__round_id").values(), Rate())


def round_rates(rnd: Round, dimension: str) -> list[Row]:
    """Score rates of one round grouped by point / point_type / street / district / unit, best first.
    Points of the round with no scored item appear with no rate (shown as "—"), last."""
    path, model, _label = DIMENSIONS[dimension]
    rates = _aggregate(ItemScore.objects.filter(inspection__round=rnd), path)
    if dimension == "point":
        points = {p.pk: p for p in rnd.points.select_related("point_type")}
        for pk in points:
            rates.setdefault(pk, Rate())
        objects = points
    else:
        objects = model.objects.in_bulk([k for k in rates if k is not None])
    rows = [Row(k, str(objects.get(k, "")) if k is not None else str(_("未定位")), r, obj=objects.get(k))
            for k, r in rates.items()]
    if dimension == "point":
        bands = bands_by_type()
        for row in rows:
            row.grade = grade_for(row.obj.point_type_id, row.rate.rate, bands)
    rows.sort(key=lambda r: (r.rate.rate is None, -(r.rate.rate or 0), r.name))
    return rows


def bands_by_type(point_type_ids: Iterable[int] | None = None) -> dict[int, list[GradeBand]]:
    qs = GradeBand.objects.order_by("-min_rate")
    if point_type_ids is not None:
        qs = qs.filter(point_type_id__in=list(point_type_ids))
    bands: dict[int, list[GradeBand]] = {}
    for band in qs:
        bands.setdefault(band.point_type_id, []).append(band)
    return bands


def grade_for(point_type_id: int, rate: Decimal | None, bands: dict[int, list[GradeBand]] | None = None):
    """The highest band whose lower bound the exact rate reaches (90.0 is A when A starts at 90); None when the
    type is not graded or nothing was scored."""
    if rate is None:
        return None
    if bands is None:
        bands = bands_by_type([point_type_id])
    for band in bands.get(point_type_id, []):
        if rate >= band.min_rate:
            return band
    return None


def trend(rounds: Iterable[Round], dimension: str | None = None, key: int | None = None) -> list[tuple[Round, Rate]]:
    """Score rate per round, overall or for one group (e.g. one district), in date order."""
    out = []
    for rnd in sorted(rounds, key=lambda r: (r.start_date, r.pk)):
        scores = ItemScore.objects.filter(inspection__round=rnd)
        if dimension is not None:
            scores = scores.filter(**{DIMENSIONS[dimension][0]: key})
        out.append((rnd, sum(_aggregate(scores, "inspection__round_id").values(), Rate())))
    return out


@dataclasses.dataclass
class MarketHistory:
    point: InspectionPoint
    entries: list[tuple[Round, Rate, GradeBand | None]]

    @property
    def latest(self):
        return self.entries[0] if self.entries else None


def market_history() -> list[MarketHistory]:
    """Seed §25: each graded point's rate and grade in every closed round, newest first. Open rounds are never
    public: their scores can still change."""
    points = list(InspectionPoint.objects.graded().active().select_related("point_type", "district", "street"))
    bands = bands_by_type({p.point_type_id for p in points})
    rows = (
        ItemScore.objects.filter(inspection__round__status=RoundStatus.CLOSED, inspection__point__in=points)
        .values("inspection__point_id", "inspection__round_id")
        .annotate(scored=Sum("score"), possible=Sum("item__points"), n=Count("pk"),
                  failed=Count("pk", filter=Q(passed=False)))
    )
    rounds = Round.objects.in_bulk({r["inspection__round_id"] for r in rows})
    by_point: dict[int, list] = {}
    for r in rows:
        rate = Rate(Decimal(r["scored"] or 0), Decimal(r["possible"] or 0), r["n"], r["failed"])
        by_point.setdefault(r["inspection__point_id"], []).append((rounds[r["inspection__round_id"]], rate))
    out = []
    for p in points:
        entries = sorted(by_point.get(p.pk, []), key=lambda e: (e[0].start_date, e[0].pk), reverse=True)
        out.append(MarketHistory(p, [(rnd, rate, grade_for(p.point_type_id, rate.rate, bands)) for rnd, rate in entries]))
    out.sort(key=lambda m: (m.latest is None, -(m.latest[1].rate or 0) if m.latest else 0, m.point.name))
    return out
