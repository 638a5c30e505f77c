"""/api/v1/units and /api/v1/jurisdictions: organisation units (a tree) and the administrative divisions."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema

from wenming.accounts.models import OrgUnit
from wenming.geo.models import Jurisdiction

from . import pagination
from .auth import limit_anonymous
from .errors import not_found, responses

router = Router(tags=["单位与辖区"])


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    parent_id: int | None


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class JurisdictionOut(Schema):
    code: str
    name: str
    kind: str
    parent_code: str | None
    government: str | None
    has_boundary: bool


class JurisdictionPage(Schema):
    items: list[JurisdictionOut]
    next_cursor: str | None


def unit_out(u: OrgUnit) -> dict:
    return {"id": u.pk, "name": u.name, "short_name": u.short_name, "kind": u.kind,
            "kind_label": str(u.get_kind_display()), "parent_id": u.parent_id}


def jurisdiction_out(j: Jurisdiction) -> dict:
    return {"code": j.code, "name": j.name, "kind": j.kind, "parent_code": j.parent.code if j.parent_id else None,
            "government": j.government.name if j.government_id else None, "has_boundary": j.has_boundary}


@router.get("/units", response=responses({200: UnitPage}), summary="单位列表")
def list_units(request, kind: str | None = None, parent: int | None = None, cursor: str | None = None,
               limit: int = 100):
    limit_anonymous(request)
    qs = OrgUnit.objects.active()
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    rows, next_cursor = pagination.page(qs, cursor, limit, descending=False)
    return {"items": [unit_out(u) for u in rows], "next_cursor": next_cursor}


@router.get("/units/{unit_id}", response=responses({200: UnitOut}), summary="单位详情")
def get_unit(request, unit_id: int):
    limit_anonymous(request)
    found = OrgUnit.objects.active().filter(pk=unit_id).first() if 0 < unit_id < 2**62 else None
    if found is None:
        raise not_found(_("未找到该单位"))
    return unit_out(found)


def _jurisdictions():
    from django.db.models import Q
    from django.db.models.expressions import Case, Value, When

    return Jurisdiction.objects.select_related("parent", "government").annotate(
        has_boundary=Case(When(Q(geometry__isnull=True), then=Value(False)), default=Value(True))
    ).defer("geometry")


@router.get("/jurisdictions", response=responses({200: JurisdictionPage}), summary="辖区列表")
def list_jurisdictions(request, kind: str | None = None, parent: str | None = None, cursor: str | None = None,
                      limit: int = 100):
    limit_anonymous(request)
    qs = _jurisdictions()
    if kind:
        qs = qs.filter(kind=kind)
    if parent:
        qs = qs.filter(parent__code=parent)
    rows, next_cursor = pagination.page(qs, cursor, limit, descending=False)
    return {"items": [jurisdiction_out(j) for j in rows], "next_cursor": next_cursor}


@router.get("/jurisdictions/{code}", response=responses({200: JurisdictionOut}), summary="辖区详情")
def get_jurisdiction(request, code: str):
    limit_anonymous(request)
    found = _jurisdictions().filter(code=code[:12]).first()
    if found is None:
        raise not_found(_("未找到该辖区"))
    return jurisdiction_out(found)
