"""/api/v1/categories: the problem taxonomy citizens and systems report against (DESIGN.md §4 routing)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema

from wenming.api.models import Scope
from wenming.cases.models import Category

from .auth import limit_anonymous, principal
from .errors import not_found, responses

router = Router(tags=["问题类别"])


class CategoryOut(Schema):
    code: str
    name: str
    kind: str
    main_code: str
    main_class: str
    description: str
    responsible_unit: str | None
    responsibility_rule: str
    urgent_limit: int
    urgent_limit_unit: str
    normal_limit: int
    normal_limit_unit: str
    accept_standard: str
    close_standard: str
    is_public: bool


def category_out(c: Category) -> dict:
    return {
        "code": c.code, "name": c.name, "kind": c.kind, "main_code": c.main_code, "main_class": c.main_class,
        "description": c.description,
        "responsible_unit": c.responsible_unit.name if c.responsible_unit_id else None,
        "responsibility_rule": c.responsibility_rule,
        "urgent_limit": c.urgent_limit, "urgent_limit_unit": c.urgent_limit_unit,
        "normal_limit": c.normal_limit, "normal_limit_unit": c.normal_limit_unit,
        "accept_standard": c.accept_standard, "close_standard": c.close_standard, "is_public": c.is_public,
    }


def _visible(request):
    qs = Category.objects.select_related("responsible_unit")
    return qs.active() if principal(request).has(Scope.ADMIN) else qs.public()


@router.get("/categories", response=responses({200: list[CategoryOut]}), summary="问题类别列表")
def list_categories(request, kind: str | None = None):
    limit_anonymous(request)
    qs = _visible(request)
    if kind:
        qs = qs.filter(kind=kind)
    return [category_out(c) for c in qs]


@router.get("/categories/{code}", response=responses({200: CategoryOut}), summary="问题类别详情")
def get_category(request, code: str):
    limit_anonymous(request)
    found = _visible(request).filter(code=code[:16]).first()
    if found is None:
        raise not_found(_("未找到该问题类别"))
    return category_out(found)
