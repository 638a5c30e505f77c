"""Live data → snapshot, one builder per product kind (seed §38/§41: 一周一观察、一月一分析、一季一通报、一年一考核).

A snapshot is plain JSON: a title, headline figures and an ordered list of blocks (headings, paragraphs, tables,
charts, photos) that the HTML, Word and Excel renderers turn into pages and files without ever reading the
database again. Numbers are stored as numbers (rates on a 0–100 scale, two decimals as published), so the
renderers format them and tests can compare them with the database.

Builders read only: the one exception is the quarterly bulletin, which runs the accountability rules (seed §41
强化工作约谈和问责机制) so that the bulletin lists the records its own ranking opened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenming.accounts.models import OrgUnit
from wenming.assessments import metrics
from wenming.assessments.models import (
    Accountability,
    Interview,
    MetricScheme,
    ProductKind,
    PublishingSettings,
    ScoringModel,
)
from wenming.assessments.periods import CUSTOM, Period
from wenming.cases.models import Case
from wenming.core import clock, workcal
from wenming.geo.models import GridCell, Jurisdiction
from wenming.inspections.models import InspectionPoint, ItemPhoto, ItemScore
from wenming.inspections.scoring import Rate
from wenming.plans import status as plan_status
from wenming.plans.models import Target

SCHEMA = 1
CENT = Decimal("0.01")
Progress = Callable[[int, str], None]


def _quiet(_pct: int, _msg: str) -> None:
    pass


def num(value):
    """JSON-safe number: Decimal → float (already rounded to 0.01 where published), None stays None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def r2(value: Decimal | None) -> float | None:
    return None if value is None else float(Decimal(value).quantize(CENT, ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------------------------
# Blocks


def heading(text: str, level: int = 1) -> dict:
    return {"type": "heading", "level": level, "text": text}


def paragraph(text: str) -> dict:
    return {"type": "paragraph", "text": text}


def table(tid: str, title: str, columns: list[str], rows: list[list], *, sheet: str = "", note: str = "") -> dict:
    return {"type": "table", "id": tid, "title": title, "sheet": sheet or title[:28], "columns": columns,
            "rows": rows, "note": note}


def chart(cid: str, kind: str, title: str, labels: list[str], **data) -> dict:
    return {"type": "chart", "id": cid, "chart": kind, "title": title, "labels": labels, **data}


def _short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _pct(value) -> str:
    return "—" if value is None else f"{float(value):.2f}%"


METRIC_HEADINGS = [str(label) for _attr, label in metrics.COLUMNS]


def metric_cells(row: metrics.MetricRow) -> list:
    return [num(getattr(row, attr)) for attr, _label in metrics.COLUMNS]


def _ranking_rows(ranking: metrics.Ranking) -> list[list]:
    rows = [[r.rank, r.name, *metric_cells(r)] for r in ranking.ranked]
    rows += [[_("不参与排名"), r.name, *metric_cells(r)] for r in ranking.insufficient]
    return rows


def _scheme_dict(scheme: MetricScheme | None) -> dict | None:
    if scheme is None:
        return None
    return {"name": str(scheme), "min_cases": scheme.min_cases,
            "weights": {k: float(v) for k, v in scheme.weights.items()}, "bands": scheme.grade_bands}


# ---------------------------------------------------------------------------------------------------------------
# Inspection score rates (得分率) over item scores scored in a period


def _score_rates(start: dt.datetime, end: dt.datetime, path: str) -> dict[int | None, Rate]:
    rows = (
        ItemScore.objects.filter(scored_at__gte=start, scored_at__lt=end)
        .order_by()
        .values(path)
        .annotate(scored=Sum("score"), possible=Sum("item__points"), n=Count("pk"),
                  failed=Count("pk", filter=Q(passed=False)))
    )
    return {r[path]: Rate(Decimal(r["scored"] or 0), Decimal(r["possible"] or 0), r["n"], r["failed"]) for r in rows}


def _rate_total(rates: dict) -> Rate:
    return sum(rates.values(), Rate())


def _names(model, keys) -> dict[int, str]:
    keys = [k for k in keys if k is not None]
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name")) if keys else {}


# ---------------------------------------------------------------------------------------------------------------
# Photos: copied into the product's own storage so a published product keeps them whatever happens upstream


PHOTO_MAX = 1000


def freeze_photo(photo: ItemPhoto) -> str | None:
    """A JPEG copy (at most 1000 px) of an inspection photo under assessments/products/photos/, named by the
    original's SHA-256 so the same photo is stored once and a stored copy is never rewritten."""
    from PIL import Image

    name = f"assessments/products/photos/{photo.sha256 or photo.pk}.jpg"
    if default_storage.exists(name):
        return name
    try:
        with photo.file.open("rb") as fh:
            image = Image.open(fh)
            image.load()
    except (OSError, ValueError):
        return None
    image = image.convert("RGB")
    image.thumbnail((PHOTO_MAX, PHOTO_MAX))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=85)
    return default_storage.save(name, ContentFile(buf.getvalue()))


# ---------------------------------------------------------------------------------------------------------------
# Common parts


@dataclasses.dataclass
class Context:
    kind: str
    period: Period
    settings: PublishingSettings
    progress: Progress

    @property
    def city(self) -> str:
        return self.settings.city_name


def _base(ctx: Context, title: str) -> dict:
    return {
        "schema": SCHEMA,
        "kind": ctx.kind,
        "kind_label": str(ProductKind(ctx.kind).label),
        "period": {"code": ctx.period.code, "label": ctx.period.label, "start": ctx.period.start.isoformat(),
                   "end": ctx.period.end.isoformat()},
        "title": title,
        "issuer": ctx.settings.issuer,
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "headline": [],
        "blocks": [],
    }


def _as_of(period: Period) -> dt.datetime:
    return min(period.end_at, clock.now())


def _case_figures(period: Period, scheme):
    as_of = _as_of(period)
    units = metrics.metric_rows(period, metrics.UNIT, scheme=scheme, as_of=as_of)
    totals = metrics.combine(units, scheme=scheme)
    districts = metrics.metric_rows(period, metrics.DISTRICT, scheme=scheme, as_of=as_of)
    return units, totals, districts


def _case_headline(t: metrics.MetricRow) -> list[list]:
    return [
        [_("立案数"), t.accepted],
        [_("应结案数"), t.due],
        [_("结案数"), t.closed],
        [_("结案率(%)"), num(t.closure_rate)],
        [_("按期处置率(%)"), num(t.ontime_handling_rate)],
        [_("超期数"), t.overdue],
        [_("满意率(%)"), num(t.satisfaction_rate)],
    ]


# ---------------------------------------------------------------------------------------------------------------
# 周观察


def build_weekly(ctx: Context) -> dict:
    """The week's inspections and case figures, the district ranking, the worst points with photos."""
    period, s = ctx.period, ctx.settings
    iso = period.start.isocalendar()
    snap = _base(ctx, _("%(city)s文明城市创建工作周观察（%(y)s年第%(w)s周）") % {"city": ctx.city, "y": iso.year, "w": iso.week})
    start, end = period.start_at, period.end_at
    ctx.progress(10, _("统计本周实地测评"))
    by_district = _score_rates(start, end, "inspection__point__district_id")
    by_point = _score_rates(start, end, "inspection__point_id")
    total = _rate_total(by_district)
    points_n = len([k for k in by_point if k is not None])
    ctx.progress(30, _("统计本周案件"))
    scheme = metrics.scheme_for(period)
    _units, totals, districts = _case_figures(period, scheme)
    snap["scheme"] = _scheme_dict(scheme)
    snap["headline"] = [
        [_("测评点位数"), points_n],
        [_("测评条目数"), total.items],
        [_("不达标条目数"), total.failed],
        [_("测评得分率(%)"), r2(total.rate)],
        *_case_headline(totals),
    ]
    blocks = snap["blocks"]
    blocks.append(heading(_("一、本周总体情况")))
    if total.items:
        blocks.append(paragraph(
            _("本周共对 %(p)s 个点位开展实地测评，测评 %(i)s 条，不达标 %(f)s 条，总体得分率 %(r)s。")
            % {"p": points_n, "i": total.items, "f": total.failed, "r": _pct(r2(total.rate))}
        ))
    else:
        blocks.append(paragraph(_("本周未开展实地测评。")))
    blocks.append(paragraph(
        _("本周负面清单平台立案 %(a)s 件，应结案 %(d)s 件，结案 %(c)s 件，结案率 %(cr)s，按期处置率 %(hr)s，超期 %(o)s 件。")
        % {"a": totals.accepted, "d": totals.due, "c": totals.closed, "cr": _pct(totals.closure_rate),
           "hr": _pct(totals.ontime_handling_rate), "o": totals.overdue}
    ))

    ctx.progress(50, _("区县排名"))
    case_by_district = {r.key: r for r in districts if r.key is not None}
    keys = {k for k in by_district if k is not None} | set(case_by_district)
    names = _names(Jurisdiction, keys)
    entries = []
    for k in keys:
        rate, case_row = by_district.get(k, Rate()), case_by_district.get(k)
        entries.append((k, names.get(k, ""), r2(rate.rate), rate.items, rate.failed, case_row))
    inspected = sorted([e for e in entries if e[2] is not None], key=lambda e: (-e[2], e[1]))
    rows, previous, rank_no = [], None, 0
    for i, e in enumerate(inspected, start=1):
        rank_no = rank_no if previous is not None and previous == e[2] else i
        previous = e[2]
        rows.append([rank_no, *_weekly_district_cells(e)])
    for e in sorted([e for e in entries if e[2] is None], key=lambda e: e[1]):
        rows.append([_("本周未测评"), *_weekly_district_cells(e)])
    blocks.append(heading(_("二、区县排名")))
    blocks.append(paragraph(_("按本周实地测评得分率从高到低排列；本周未测评的区县列于其后，不参与排名。")))
    blocks.append(table(
        "districts", _("各区县本周测评得分率与案件办理情况"),
        [_("排名"), _("区县"), _("测评得分率(%)"), _("测评条目数"), _("不达标条目数"), _("立案数"), _("结案率(%)"),
         _("按期处置率(%)"), _("超期数")],
        rows, sheet=_("区县排名"),
    ))
    if inspected:
        blocks.append(chart("districts", "bar", _("各区县本周测评得分率"), [_short(e[1]) for e in inspected],
                            values=[e[2] for e in inspected], horizontal=True, value_label=_("得分率(%)")))

    ctx.progress(65, _("得分率最低点位及照片"))
    scored_points = [(k, r) for k, r in by_point.items() if k is not None and r.rate is not None]
    scored_points.sort(key=lambda kr: (kr[1].rate, kr[0]))
    worst = scored_points[: s.worst_points]
    points = InspectionPoint.objects.select_related("point_type", "district", "street", "responsible_unit").in_bulk(
        [k for k, _r in worst]
    )
    blocks.append(heading(_("三、得分率最低的点位")))
    worst_rows = []
    for i, (k, r) in enumerate(worst, start=1):
        p = points[k]
        worst_rows.append([i, p.name, str(p.point_type), p.district.name if p.district else "—",
                           p.responsible_unit.name if p.responsible_unit else "—", r2(r.rate), r.items, r.failed])
    if worst_rows:
        blocks.append(table(
            "worst_points", _("本周得分率最低的点位"),
            [_("序号"), _("点位"), _("点位类型"), _("区县"), _("责任单位"), _("得分率(%)"), _("测评条目数"), _("不达标条目数")],
            worst_rows, sheet=_("最差点位"),
        ))
        blocks.append(chart("worst_points", "bar", _("本周得分率最低的点位"), [_short(r[1]) for r in worst_rows],
                            values=[r[5] for r in worst_rows], horizontal=True, color="#c05621",
                            value_label=_("得分率(%)")))
        photos = _worst_photos([k for k, _r in worst], points, start, end, s.photos_per_point)
        if photos:
            blocks.append({"type": "photos", "id": "worst_photos", "title": _("问题点位照片"), "items": photos})
    else:
        blocks.append(paragraph(_("本周没有测评得分记录。")))
    ctx.progress(80, _("本周数据已汇总"))
    return snap


def _weekly_district_cells(e) -> list:
    _k, name, rate, items, failed, case_row = e
    if case_row is None:
        return [name, rate, items, failed, 0, None, None, 0]
    return [name, rate, items, failed, case_row.accepted, num(case_row.closure_rate),
            num(case_row.ontime_handling_rate), case_row.overdue]


def _worst_photos(point_ids, points, start, end, per_point: int) -> list[dict]:
    photos = (
        ItemPhoto.objects.filter(item_score__inspection__point_id__in=point_ids, item_score__scored_at__gte=start,
                                 item_score__scored_at__lt=end)
        .select_related("item_score__item", "item_score__inspection")
        .order_by("item_score__passed", "pk")
    )
    by_point: dict[int, list] = defaultdict(list)
    for ph in photos:
        pid = ph.item_score.inspection.point_id
        if len(by_point[pid]) < per_point:
            by_point[pid].append(ph)
    out = []
    for pid in point_ids:
        for ph in by_point.get(pid, []):
            path = freeze_photo(ph)
            if path is None:
                continue
            item = ph.item_score.item
            note = ph.item_score.note.strip()
            caption = f"{points[pid].name}：{item.code} {item.text[:40]}" + (f"（{note[:40]}）" if note else "")
            out.append({"caption": caption, "path": path})
    return out


# ---------------------------------------------------------------------------------------------------------------
# 月分析


def build_monthly(ctx: Context) -> dict:
    """Trends, top problem categories and places, unit metrics from the case loop, target progress from the plan."""
    period, s = ctx.period, ctx.settings
    snap = _base(ctx, _("%(city)s%(p)s文明城市创建工作分析") % {"city": ctx.city, "p": period.label})
    start, end = period.start_at, period.end_at
    scheme = metrics.scheme_for(period)
    snap["scheme"] = _scheme_dict(scheme)
    ctx.progress(10, _("统计案件指标"))
    units, totals, _districts = _case_figures(period, scheme)
    inspection = _rate_total(_score_rates(start, end, "inspection__round_id"))
    ctx.progress(25, _("目标进度"))
    target_counts, lagging = _target_progress(period)
    snap["headline"] = [
        *_case_headline(totals),
        [_("测评得分率(%)"), r2(inspection.rate)],
        [_("滞后、逾期、未报送目标数"), len(lagging)],
    ]
    blocks = snap["blocks"]
    blocks.append(heading(_("一、总体情况")))
    blocks.append(paragraph(
        _("本月立案 %(a)s 件，应结案 %(d)s 件，结案率 %(cr)s，按期处置率 %(hr)s，满意率 %(sr)s；实地测评得分率 %(ir)s。")
        % {"a": totals.accepted, "d": totals.due, "cr": _pct(totals.closure_rate),
           "hr": _pct(totals.ontime_handling_rate), "sr": _pct(totals.satisfaction_rate), "ir": _pct(r2(inspection.rate))}
    ))

    ctx.progress(35, _("趋势"))
    first = period.start
    for _i in range(11):
        first = Period.containing(first - dt.timedelta(days=1), "month").start
    window = Period(first, period.end, CUSTOM)
    trend = metrics.monthly_trend(window)
    rates = _monthly_score_rates(window)
    blocks.append(heading(_("二、变化趋势")))
    labels = [f"{m.start:%Y-%m}" for m, _a, _c in trend]
    blocks.append(chart("trend", "line", _("近12个月立案数与办结数"), labels,
                        series={_("立案数"): [a for _m, a, _c in trend], _("办结数"): [c for _m, _a, c in trend]},
                        colors={_("立案数"): "#b81c22", _("办结数"): "#2f855a"}))
    blocks.append(table(
        "trend", _("近12个月案件与测评趋势"), [_("月份"), _("立案数"), _("办结数"), _("测评得分率(%)")],
        [[f"{m.start:%Y-%m}", a, c, r2(rates.get(m.start, Rate()).rate)] for m, a, c in trend], sheet=_("趋势"),
    ))

    ctx.progress(50, _("问题类别与地点"))
    blocks.append(heading(_("三、突出问题类别和地点")))
    top = metrics.top_categories(period, s.top_n)
    before = dict(metrics.top_categories(period.previous(), 1000))
    blocks.append(table(
        "categories", _("立案数最多的问题类别"), [_("序号"), _("问题类别"), _("立案数"), _("上月立案数")],
        [[i, name, n, before.get(name, 0)] for i, (name, n) in enumerate(top, start=1)], sheet=_("问题类别"),
    ))
    if top:
        blocks.append(chart("categories", "bar", _("立案数最多的问题类别"), [_short(n) for n, _c in top],
                            values=[c for _n, c in top], horizontal=True, color="#c05621", value_label=_("立案数")))
    places = _top_places(start, end, s.top_n)
    blocks.append(table("places", _("立案数最多的街道和网格"), [_("序号"), _("地点"), _("层级"), _("立案数")],
                        places, sheet=_("问题地点")))
    failing = _failing_points(start, end, s.top_n)
    if failing:
        blocks.append(table("failing_points", _("不达标条目最多的测评点位"),
                            [_("序号"), _("点位"), _("区县"), _("不达标条目数"), _("得分率(%)")], failing,
                            sheet=_("问题点位")))

    ctx.progress(65, _("单位指标"))
    blocks.append(heading(_("四、责任单位案件办理指标")))
    ranking = metrics.rank(units, scheme) if scheme else None
    if ranking is not None:
        blocks.append(paragraph(
            _("按综合指标值排名；应结案数少于 %(n)s 件的单位不参与排名。") % {"n": ranking.min_cases}))
        blocks.append(table("units", _("责任单位案件办理指标"), [_("排名"), _("责任单位"), *METRIC_HEADINGS],
                            _ranking_rows(ranking), sheet=_("单位指标")))
    else:
        blocks.append(table("units", _("责任单位案件办理指标"), [_("排名"), _("责任单位"), *METRIC_HEADINGS],
                            [["—", r.name, *metric_cells(r)] for r in units if r.key is not None],
                            sheet=_("单位指标")))

    ctx.progress(75, _("目标进度"))
    blocks.append(heading(_("五、目标任务进度")))
    status_labels = [str(st.label) for st in plan_status.STATUS_ORDER]
    blocks.append(paragraph("；".join(f"{label} {target_counts[label]} 项" for label in status_labels) + "。"))
    blocks.append(chart("targets", "donut", _("目标任务状态"), status_labels,
                        values=[target_counts[label] for label in status_labels],
                        colors=[plan_status.STATUS_COLORS[st] for st in plan_status.STATUS_ORDER],
                        center_text=str(sum(target_counts.values()))))
    blocks.append(table("lagging_targets", _("滞后、逾期、未报送的目标"),
                        [_("措施"), _("目标"), _("牵头单位"), _("状态"), _("最新报送值"), _("应达进度")], lagging,
                        sheet=_("目标进度")))
    return snap


def _monthly_score_rates(window: Period) -> dict[dt.date, Rate]:
    rows = (
        ItemScore.objects.filter(scored_at__gte=window.start_at, scored_at__lt=window.end_at)
        .order_by()
        .annotate(_m=TruncMonth("scored_at", tzinfo=workcal.tz()))
        .values("_m")
        .annotate(scored=Sum("score"), possible=Sum("item__points"), n=Count("pk"))
    )
    out = {}
    for r in rows:
        month = r["_m"].date() if isinstance(r["_m"], dt.datetime) else r["_m"]
        out[month] = Rate(Decimal(r["scored"] or 0), Decimal(r["possible"] or 0), r["n"])
    return out


def _top_places(start, end, n: int) -> list[list]:
    accepted = Case.objects.filter(accepted_at__gte=start, accepted_at__lt=end).order_by()
    streets = list(accepted.exclude(street=None).values("street").annotate(n=Count("pk")).order_by("-n", "street")[:n])
    cells = list(accepted.exclude(grid_cell=None).values("grid_cell").annotate(n=Count("pk"))
                 .order_by("-n", "grid_cell")[:n])
    street_names = _names(Jurisdiction, [r["street"] for r in streets])
    cell_names = {pk: f"{code} {name}".strip() for pk, code, name in
                  GridCell.objects.filter(pk__in=[r["grid_cell"] for r in cells]).values_list("pk", "code", "name")}
    rows = [(street_names.get(r["street"], ""), _("街道"), r["n"]) for r in streets]
    rows += [(cell_names.get(r["grid_cell"], ""), _("单元网格"), r["n"]) for r in cells]
    rows.sort(key=lambda r: (-r[2], r[1], r[0]))
    return [[i, *r] for i, r in enumerate(rows[:n], start=1)]


def _failing_points(start, end, n: int) -> list[list]:
    rates = _score_rates(start, end, "inspection__point_id")
    worst = sorted([(k, r) for k, r in rates.items() if k is not None and r.failed], key=lambda kr: (-kr[1].failed, kr[0]))
    worst = worst[:n]
    points = InspectionPoint.objects.select_related("district").in_bulk([k for k, _r in worst])
    return [[i, points[k].name, points[k].district.name if points[k].district else "—", r.failed, r2(r.rate)]
            for i, (k, r) in enumerate(worst, start=1)]


def _judging_day(period: Period) -> dt.date:
    return min(period.end - dt.timedelta(days=1), clock.today())


def _targets():
    return Target.objects.select_related("measure__plan").prefetch_related("measure__responsibility__lead_units")


def _target_progress(period: Period) -> tuple[dict[str, int], list[list]]:
    """Status counts over every target, and the lagging ones (滞后/逾期/未报送) with their lead units."""
    day = _judging_day(period)
    targets = list(_targets())
    statuses = plan_status.statuses_for(targets, day)
    counts = {str(st.label): 0 for st in plan_status.STATUS_ORDER}
    lagging = []
    for t in targets:
        res = statuses[t.pk]
        counts[res.label] += 1
        if res.is_lagging:
            resp = getattr(t.measure, "responsibility", None)
            leads = "、".join(u.name for u in resp.lead_units.all()) if resp else ""
            lagging.append([f"{t.measure.number}", t.metric, leads or "—", res.label, res.latest_text or "—",
                            res.expected_text or "—"])
    return counts, lagging


# ---------------------------------------------------------------------------------------------------------------
# 季通报


def build_quarterly(ctx: Context) -> dict:
    """Rankings of districts and units, named praise and criticism, and the accountability list."""
    from wenming.assessments import accountability

    period, s = ctx.period, ctx.settings
    snap = _base(ctx, _("关于%(p)s%(city)s文明城市创建工作情况的通报") % {"city": ctx.city, "p": period.label})
    scheme = metrics.scheme_for(period)
    snap["scheme"] = _scheme_dict(scheme)
    ctx.progress(10, _("统计案件指标"))
    units, totals, districts = _case_figures(period, scheme)
    start, end = period.start_at, period.end_at
    insp_district = _score_rates(start, end, "inspection__point__district_id")
    total_rate = _rate_total(insp_district)
    unit_ranking = metrics.rank(units, scheme) if scheme else metrics.Ranking([], [], 0)
    district_ranking = metrics.rank(districts, scheme) if scheme else metrics.Ranking([], [], 0)
    snap["headline"] = [*_case_headline(totals), [_("测评得分率(%)"), r2(total_rate.rate)]]
    snap["ranking"] = {
        "units": [{"unit": r.key, "name": r.name, "rank": r.rank, "score": num(r.score)} for r in unit_ranking.ranked],
        "districts": [{"district": r.key, "name": r.name, "rank": r.rank, "score": num(r.score)}
                      for r in district_ranking.ranked],
    }
    blocks = snap["blocks"]
    blocks.append(heading(_("一、总体情况")))
    blocks.append(paragraph(
        _("本季度全市立案 %(a)s 件，应结案 %(d)s 件，结案率 %(cr)s，按期处置率 %(hr)s，满意率 %(sr)s；实地测评得分率 %(ir)s。")
        % {"a": totals.accepted, "d": totals.due, "cr": _pct(totals.closure_rate),
           "hr": _pct(totals.ontime_handling_rate), "sr": _pct(totals.satisfaction_rate),
           "ir": _pct(r2(total_rate.rate))}
    ))
    ctx.progress(35, _("区县排名"))
    blocks.append(heading(_("二、区县排名")))
    rows = [[r.rank, r.name, num(r.score), r.grade, r2(insp_district.get(r.key, Rate()).rate), r.accepted,
             num(r.closure_rate), num(r.ontime_handling_rate), r.overdue] for r in district_ranking.ranked]
    rows += [[_("不参与排名"), r.name, num(r.score), r.grade, r2(insp_district.get(r.key, Rate()).rate), r.accepted,
              num(r.closure_rate), num(r.ontime_handling_rate), r.overdue] for r in district_ranking.insufficient]
    blocks.append(table("districts", _("各区县综合指标值排名"),
                        [_("排名"), _("区县"), _("综合指标值"), _("等级"), _("测评得分率(%)"), _("立案数"), _("结案率(%)"),
                         _("按期处置率(%)"), _("超期数")], rows, sheet=_("区县排名")))
    if district_ranking.ranked:
        blocks.append(chart("districts", "bar", _("各区县综合指标值"), [_short(r.name) for r in district_ranking.ranked],
                            values=[num(r.score) for r in district_ranking.ranked], horizontal=True,
                            value_label=_("综合指标值")))
    ctx.progress(50, _("单位排名"))
    blocks.append(heading(_("三、责任单位排名")))
    blocks.append(paragraph(_("按综合指标值排名；应结案数少于 %(n)s 件的单位不参与排名。") % {"n": unit_ranking.min_cases}))
    blocks.append(table("units", _("责任单位综合指标值排名"), [_("排名"), _("责任单位"), *METRIC_HEADINGS],
                        _ranking_rows(unit_ranking), sheet=_("单位排名")))
    if unit_ranking.ranked:
        shown = unit_ranking.ranked[:20]
        blocks.append(chart("units", "bar", _("责任单位综合指标值（前20名）"), [_short(r.name) for r in shown],
                            values=[num(r.score) for r in shown], horizontal=True, value_label=_("综合指标值")))

    ctx.progress(60, _("表扬与批评"))
    blocks.append(heading(_("四、表扬和批评")))
    ranked = unit_ranking.ranked
    # Praise from the top, criticism from the bottom, never the same unit: with few ranked units each side gets
    # at most half of them.
    half = len(ranked) // 2
    praised = ranked[: min(s.praise_count, half)]
    criticised = ranked[len(ranked) - min(s.criticism_count, half):] if half else []
    snap["praise"] = [{"unit": r.key, "name": r.name, "score": num(r.score)} for r in praised]
    snap["criticism"] = [{"unit": r.key, "name": r.name, "score": num(r.score)} for r in criticised]
    if praised:
        blocks.append(paragraph(
            _("对综合指标值排名前列的%(names)s予以通报表扬。")
            % {"names": "、".join(f"{r.name}（{float(r.score):.2f}）" for r in praised)}))
    if criticised:
        blocks.append(paragraph(
            _("对综合指标值排名靠后的%(names)s予以通报批评，请相关单位认真分析原因，限期整改。")
            % {"names": "、".join(f"{r.name}（{float(r.score):.2f}）" for r in criticised)}))
    if not praised and not criticised:
        blocks.append(paragraph(_("本季度参与排名的单位不足，不作表扬和批评。")))

    ctx.progress(70, _("运行约谈问责规则"))
    accountability.run_rules(period, ranking=unit_ranking)
    blocks.append(heading(_("五、约谈和问责")))
    interviews = list(Interview.objects.filter(period_key=period.code).select_related("unit", "rule").order_by("unit__name", "pk"))
    escalations = list(Accountability.objects.filter(period_key=period.code).select_related("unit").order_by("unit__name", "pk"))
    snap["accountability"] = {"interviews": [i.pk for i in interviews], "escalations": [a.pk for a in escalations]}
    if interviews or escalations:
        blocks.append(paragraph(_("根据约谈问责规则，本季度对以下单位启动约谈或问责。")))
        rows = [[i, iv.unit.name, _("约谈"), iv.reason, iv.get_status_display()] for i, iv in enumerate(interviews, start=1)]
        rows += [[len(interviews) + i, a.unit.name, _("问责（%(l)s）") % {"l": a.get_level_display()}, a.reason, "—"]
                 for i, a in enumerate(escalations, start=1)]
        blocks.append(table("accountability", _("约谈问责名单"), [_("序号"), _("单位"), _("类型"), _("事由"), _("状态")],
                            rows, sheet=_("约谈问责")))
    else:
        blocks.append(paragraph(_("本季度没有单位触发约谈问责规则。")))
    return snap


# ---------------------------------------------------------------------------------------------------------------
# 年考核


@dataclasses.dataclass
class AnnualRow:
    key: int
    name: str
    targets: Decimal | None = None  # 目标任务完成率 (0–100)
    targets_n: int = 0
    cases: Decimal | None = None  # 案件综合指标值
    inspections: Decimal | None = None  # 实地测评得分率
    office: Decimal | None = None  # 创文办评价
    score: Decimal | None = None
    grade: str | None = None
    rank: int | None = None

    def components(self) -> dict[str, Decimal | None]:
        return {"targets": self.targets, "cases": self.cases, "inspections": self.inspections, "office": self.office}


def weighted_score(components: dict[str, Decimal | None], weights: dict[str, Decimal]) -> Decimal | None:
    """Σ weight × component ÷ Σ weight over the measured components (each 0–100), rounded to 0.01 as published.

    Dividing by the measured weights is the rule of `metrics.composite_score`: a component that cannot be
    measured is left out and the others are scaled up to the full weight, and weights may be given as 0.4/0.3/…
    or 40/30/… alike. None when no weighted component was measured.
    """
    measured = {k: Decimal(w) for k, w in weights.items() if w and components.get(k) is not None}
    got = sum(measured.values(), Decimal(0))
    if not got:
        return None
    part = sum((w * Decimal(components[k]) for k, w in measured.items()), Decimal(0))
    return (part / got).quantize(CENT, ROUND_HALF_UP)


def score_annual(rows: list[AnnualRow], model: ScoringModel) -> list[AnnualRow]:
    """Score, grade and rank (ties share a rank: 1, 2, 2, 4); unscorable rows come last, unranked."""
    for r in rows:
        r.score = weighted_score(r.components(), model.weights)
        r.grade = model.grade_for(r.score)
    scored = sorted([r for r in rows if r.score is not None], key=lambda r: (-r.score, r.name))
    previous = None
    for i, r in enumerate(scored, start=1):
        r.rank = previous.rank if previous is not None and previous.score == r.score else i
        previous = r
    return scored + sorted([r for r in rows if r.score is None], key=lambda r: r.name)


def _target_completion(period: Period) -> dict[int, tuple[int, int]]:
    """Per lead unit: (targets achieved, targets judged) at the end of the year; targets not yet started
    (未开始) are not judged."""
    day = _judging_day(period)
    targets = list(_targets())
    statuses = plan_status.statuses_for(targets, day)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for t in targets:
        res = statuses[t.pk]
        if res.status == plan_status.TargetStatus.PENDING:
            continue
        resp = getattr(t.measure, "responsibility", None)
        for unit in resp.lead_units.all() if resp else []:
            out[unit.pk][1] += 1
            if res.status == plan_status.TargetStatus.ACHIEVED:
                out[unit.pk][0] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _office_means(year: int, field: str) -> dict[int, Decimal]:
    from wenming.assessments.models import OfficeInput

    sums: dict[int, list] = defaultdict(lambda: [Decimal(0), 0])
    for key, score in OfficeInput.objects.filter(year=year, **{f"{field}__isnull": False}).values_list(field, "score"):
        sums[key][0] += score
        sums[key][1] += 1
    return {k: (s / n).quantize(CENT, ROUND_HALF_UP) for k, (s, n) in sums.items()}


def scoring_model_for(year: int) -> ScoringModel:
    model, _created = ScoringModel.objects.get_or_create(year=year)
    return model


def annual_rows(period: Period, model: ScoringModel, progress: Progress = _quiet) -> tuple[list[AnnualRow], list[AnnualRow]]:
    """(unit rows, district rows), scored and ranked with the year's scoring model."""
    year = period.start.year
    scheme = metrics.scheme_for(period)
    as_of = _as_of(period)
    progress(10, _("统计全年案件指标（按单位）"))
    unit_metrics = {r.key: r for r in metrics.metric_rows(period, metrics.UNIT, scheme=scheme, as_of=as_of)
                    if r.key is not None}
    progress(30, _("统计全年案件指标（按区县）"))
    district_metrics = {r.key: r for r in metrics.metric_rows(period, metrics.DISTRICT, scheme=scheme, as_of=as_of)
                        if r.key is not None}
    progress(45, _("统计实地测评与目标完成情况"))
    start, end = period.start_at, period.end_at
    insp_unit = _score_rates(start, end, "inspection__point__responsible_unit_id")
    insp_district = _score_rates(start, end, "inspection__point__district_id")
    completion = _target_completion(period)
    office_unit, office_district = _office_means(year, "unit"), _office_means(year, "district")

    participants = set(model.units.values_list("pk", flat=True)) if model.pk else set()
    if not participants:
        participants = {k for k in unit_metrics if unit_metrics[k].due} | set(completion) | set(office_unit) | {
            k for k in insp_unit if k is not None}
    unit_names = _names(OrgUnit, participants)

    def pct(pair):
        return None if not pair or not pair[1] else (Decimal(pair[0]) * 100 / Decimal(pair[1])).quantize(CENT, ROUND_HALF_UP)

    units = []
    for k in participants:
        m = unit_metrics.get(k)
        units.append(AnnualRow(
            key=k, name=unit_names.get(k, ""), targets=pct(completion.get(k)),
            targets_n=completion.get(k, (0, 0))[1], cases=m.score if m else None,
            inspections=_rate2(insp_unit.get(k)), office=office_unit.get(k),
        ))
    districts_qs = Jurisdiction.objects.filter(
        pk__in=set(district_metrics) | {k for k in insp_district if k is not None} | set(office_district)
    ).values_list("pk", "name", "government_id")
    districts = []
    for pk, name, gov in districts_qs:
        m = district_metrics.get(pk)
        districts.append(AnnualRow(
            key=pk, name=name, targets=pct(completion.get(gov)) if gov else None,
            targets_n=completion.get(gov, (0, 0))[1] if gov else 0, cases=m.score if m else None,
            inspections=_rate2(insp_district.get(pk)), office=office_district.get(pk),
        ))
    return score_annual(units, model), score_annual(districts, model)


def _rate2(rate: Rate | None) -> Decimal | None:
    if rate is None or rate.rate is None:
        return None
    return rate.rate.quantize(CENT, ROUND_HALF_UP)


ANNUAL_COLUMNS = [
    gettext_lazy("排名"), gettext_lazy("名称"), gettext_lazy("目标任务完成率(%)"), gettext_lazy("案件综合指标值"),
    gettext_lazy("实地测评得分率(%)"), gettext_lazy("创文办评价"), gettext_lazy("综合得分"), gettext_lazy("等次"),
]


def _annual_table_rows(rows: list[AnnualRow]) -> list[list]:
    return [[r.rank if r.rank is not None else _("无法计分"), r.name, num(r.targets), num(r.cases), num(r.inspections),
             num(r.office), num(r.score), r.grade or "—"] for r in rows]


def build_annual(ctx: Context) -> dict:
    """A weighted score per unit and district over target completion, case metrics, inspection score rates and
    the office's inputs, with the year's scoring model (configuration, one per year)."""
    period = ctx.period
    year = period.start.year
    snap = _base(ctx, _("%(city)s%(y)s年度文明城市创建工作考核结果") % {"city": ctx.city, "y": year})
    model = scoring_model_for(year)
    units, districts = annual_rows(period, model, ctx.progress)
    ctx.progress(60, _("汇总考核结果"))
    weights = model.weights
    snap["model"] = {"year": model.year, "name": str(model), "weights": {k: float(v) for k, v in weights.items()},
                     "bands": model.bands, "lowest_grade": model.lowest_grade}
    grade_names = [str(b["grade"]) for b in model.bands] + [model.lowest_grade]
    grade_counts = {g: sum(1 for r in units if r.grade == g) for g in grade_names}
    scored = [r for r in units if r.score is not None]
    avg = (sum((r.score for r in scored), Decimal(0)) / len(scored)).quantize(CENT, ROUND_HALF_UP) if scored else None
    snap["headline"] = [
        [_("参加考核单位数"), len(units)],
        [_("参加考核区县数"), len(districts)],
        [_("单位平均综合得分"), num(avg)],
        *[[_("%(g)s等次单位数") % {"g": g}, grade_counts[g]] for g in grade_names],
    ]
    blocks = snap["blocks"]
    blocks.append(heading(_("一、考核办法")))
    labels = {"targets": _("目标任务完成率"), "cases": _("案件综合指标值"), "inspections": _("实地测评得分率"),
              "office": _("创文办评价")}
    total_weight = sum(weights.values(), Decimal(0)) or Decimal(1)
    parts = "、".join(f"{labels[k]} {float(w / total_weight * 100):g}%" for k, w in weights.items() if w)
    bands = "，".join(f"{b['grade']} ≥ {b['min']}" for b in model.bands) + f"，其余为{model.lowest_grade}"
    blocks.append(paragraph(
        _("依据%(m)s，综合得分由%(parts)s加权计算（各项按百分制）；某项无法计量的，按其余各项权重折算。等次：%(bands)s。")
        % {"m": str(model), "parts": parts, "bands": bands}))
    blocks.append(heading(_("二、责任单位考核结果")))
    blocks.append(table("units", _("责任单位年度考核结果"), [str(c) for c in ANNUAL_COLUMNS], _annual_table_rows(units),
                        sheet=_("单位考核")))
    top = [r for r in units if r.score is not None][:20]
    if top:
        blocks.append(chart("units", "bar", _("责任单位综合得分（前20名）"), [_short(r.name) for r in top],
                            values=[num(r.score) for r in top], horizontal=True, value_label=_("综合得分")))
    blocks.append(chart("grades", "donut", _("责任单位等次分布"), grade_names,
                        values=[grade_counts[g] for g in grade_names], center_text=str(len(units))))
    ctx.progress(70, _("区县考核结果"))
    blocks.append(heading(_("三、区县考核结果")))
    blocks.append(table("districts", _("区县年度考核结果"), [str(c) for c in ANNUAL_COLUMNS], _annual_table_rows(districts),
                        sheet=_("区县考核")))
    ranked_d = [r for r in districts if r.score is not None]
    if ranked_d:
        blocks.append(chart("districts", "bar", _("区县综合得分"), [_short(r.name) for r in ranked_d],
                            values=[num(r.score) for r in ranked_d], horizontal=True, value_label=_("综合得分")))
    return snap


BUILDERS = {
    ProductKind.WEEKLY: build_weekly,
    ProductKind.MONTHLY: build_monthly,
    ProductKind.QUARTERLY: build_quarterly,
    ProductKind.ANNUAL: build_annual,
}


def build(kind: str, period: Period, *, progress: Progress = _quiet) -> dict:
    ctx = Context(kind=kind, period=period, settings=PublishingSettings.current(), progress=progress)
    snap = BUILDERS[ProductKind(kind)](ctx)
    snap["digest"] = hashlib.sha256(repr(snap["blocks"]).encode()).hexdigest()[:16]
    return snap
