"""Open311 services from categories, and each service's attribute list (spec: GET Service Definition).

Categories carry no attribute list of their own; the list is derived here so the cases models stay as they are:
every service asks whether the problem is urgent (it chooses the urgent time limit, DESIGN.md §4) and what it
affects; 部件 services also take the 16-digit component code (standards.md "部件 codes").
"""

from __future__ import annotations

import dataclasses
import re

from django.conf import settings
from django.utils.translation import gettext as _

from wenming.cases.models import Category, CategoryKind

from .formats import Open311Error


@dataclasses.dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # spec: string, number, datetime, text, singlevaluelist, multivaluelist
    description: str
    order: int
    required: bool = False
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()
    pattern: str = ""

    def as_dict(self) -> dict:
        return {
            "variable": True,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
            "values": [{"key": k, "name": n} for k, n in self.values],
        }


COMPONENT_CODE = re.compile(r"^\d{16}$")


def attributes_for(category: Category) -> list[Attribute]:
    attrs = [
        Attribute(
            "is_urgent", "singlevaluelist", _("是否紧急（存在安全隐患或需当日处置）"), 1,
            datatype_description=_("选“是”按紧急时限办理"), values=(("true", _("是")), ("false", _("否"))),
        ),
        Attribute(
            "impact", "multivaluelist", _("问题影响（可多选）"), 2,
            values=(("traffic", _("影响通行")), ("hygiene", _("影响环境卫生")), ("safety", _("存在安全隐患")),
                    ("noise", _("噪声扰民"))),
        ),
    ]
    if category.kind == CategoryKind.COMPONENT:
        attrs.append(
            Attribute("component_id", "string", _("部件编号"), 3,
                      datatype_description=_("16 位数字：区县代码 6 位 + 大类 2 位 + 小类 2 位 + 流水号 6 位"),
                      pattern=COMPONENT_CODE.pattern)
        )
    return attrs


def moderated() -> bool:
    return bool(getattr(settings, "WENMING_OPEN311_MODERATED", False))


def service_out(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.accept_standard,
        "metadata": True,
        # Spec: "batch" services answer a POST with a token, "realtime" ones with the request id.
        "type": "batch" if moderated() else "realtime",
        "keywords": f"{category.main_class},{category.get_kind_display()}",
        "group": category.main_class,
    }


def definition_out(category: Category) -> dict:
    return {"service_code": category.code, "attributes": [a.as_dict() for a in attributes_for(category)]}


def parse_attributes(category: Category, post) -> dict:
    """`attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2` (spec: POST Service Request)."""
    given: dict[str, list[str]] = {}
    for key in post:
        m = re.fullmatch(r"attribute\[([^\[\]]{1,50})\](\[\])?", key)
        if not m:
            continue
        values = [v.strip() for v in post.getlist(key) if v.strip()]
        given.setdefault(m.group(1), []).extend(values)
    known = {a.code: a for a in attributes_for(category)}
    errors = []
    unknown = sorted(set(given) - set(known))
    if unknown:
        errors.append(_("未知的属性：%(codes)s") % {"codes": "、".join(unknown)[:200]})
    result: dict = {}
    for code, attr in known.items():
        values = given.get(code, [])
        if not values:
            if attr.required:
                errors.append(_("缺少必填属性：%(code)s") % {"code": code})
            continue
        keys = {k for k, _n in attr.values}
        if attr.datatype == "multivaluelist":
            bad = [v for v in values if v not in keys]
            if bad:
                errors.append(_("属性 %(code)s 的取值无效") % {"code": code})
            result[code] = sorted(set(values))
        else:
            if len(values) > 1:
                errors.append(_("属性 %(code)s 只能有一个取值") % {"code": code})
            value = values[0]
            if attr.values and value not in keys:
                errors.append(_("属性 %(code)s 的取值无效") % {"code": code})
            if attr.pattern and not re.fullmatch(attr.pattern, value):
                errors.append(_("属性 %(code)s 格式不正确") % {"code": code})
            if len(value) > 200:
                errors.append(_("属性 %(code)s 过长") % {"code": code})
            result[code] = value
    if errors:
        raise Open311Error(400, *errors)
    return result
