"""/api/v1/products: published assessment products (seed §38/§41: 周观察、月分析、季通报、年考核), read-only.

Only published versions are served (drafts and products in review stay on the office's pages). A published
product is frozen (DESIGN.md §3), so its snapshot and files here are exactly what was issued; a correction is a
new version that names the one it corrects.

Access, as the product pages (any signed-in user reads published products): a caller with a user behind it
(a user's token of any scope, or a login session), or a token with the admin scope. Anonymous callers (401) and
client-system tokens without the admin scope (403) are refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from wenming.api.models import Scope
from wenming.assessments.models import Product, ProductKind

from . import pagination
from .auth import Principal, principal, require
from .cases import local
from .errors import ApiError, forbidden, not_found, responses

router = Router(tags=["考评产品"])

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Downloads(Schema):
    docx: str | None = Field(None, description="Word 文档（GB/T 9704 公文格式）")
    xlsx: str | None = Field(None, description="Excel 工作簿")


class ProductOut(Schema):
    id: int
    kind: str
    kind_label: str
    period_key: str
    period_start: dt.date
    period_end: dt.date = Field(..., description="不含当日")
    version: int
    title: str
    document_number: str
    published_at: dt.datetime | None
    correction_of: int | None = Field(None, description="本版更正的版本（产品编号）")
    change_note: str
    downloads: Downloads


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductDetail(ProductOut):
    snapshot: dict[str, Any] = Field(..., description="发布时冻结的数据快照（页面、Word 与 Excel 均由此生成）")


def _reader(request) -> Principal:
    who = principal(request)
    if who.has(Scope.ADMIN) or who.user is not None:
        return who
    if who.is_anonymous:
        require(request, Scope.ADMIN)  # 401 with the usual message
    raise forbidden(_("该令牌未绑定用户账号，不能查看考评产品"))


def _file_url(request, p: Product, fmt: str) -> str | None:
    field = getattr(p, fmt)
    if not field.name:
        return None
    return request.build_absolute_uri(f"/api/v1/products/{p.pk}/files/{fmt}")


def product_out(request, p: Product) -> dict:
    return {
        "id": p.pk, "kind": p.kind, "kind_label": str(ProductKind(p.kind).label), "period_key": p.period_key,
        "period_start": p.period_start, "period_end": p.period_end, "version": p.version, "title": str(p),
        "document_number": p.document_number, "published_at": local(p.published_at),
        "correction_of": p.correction_of_id, "change_note": p.change_note,
        "downloads": {fmt: _file_url(request, p, fmt) for fmt in CONTENT_TYPES},
    }


def _published(product_id: int) -> Product:
    p = Product.objects.published().filter(pk=product_id).first() if 0 < product_id < 2**62 else None
    if p is None:
        raise not_found(_("未找到该考评产品，或尚未发布"))
    return p


@router.get("/products", response=responses({200: ProductPage}), summary="已发布的考评产品")
def list_products(request, kind: str | None = None, period: str | None = None, cursor: str | None = None,
                  limit: int = 50):
    """Published products, newest first. `kind`: weekly, monthly, quarterly or annual; `period` the period key
    (2019-W42, 2019-10, 2019-Q4, 2019). Every published version is listed; corrections name the one they correct."""
    _reader(request)
    qs = Product.objects.published().defer("snapshot")
    if kind:
        if kind not in ProductKind.values:
            raise ApiError(400, "invalid", _("产品类型应为 %(list)s 之一") % {"list": "、".join(ProductKind.values)},
                           [{"field": "kind", "message": _("取值无效")}])
        qs = qs.filter(kind=kind)
    if period:
        qs = qs.filter(period_key=period[:16])
    rows, next_cursor = pagination.page(qs, cursor, limit)
    return {"items": [product_out(request, p) for p in rows], "next_cursor": next_cursor}


@router.get("/products/{product_id}", response=responses({200: ProductDetail}), summary="考评产品详情（数据快照）")
def get_product(request, product_id: int):
    """The product with its frozen snapshot: the blocks (text, tables, charts, photos) the page, the Word document
    and the workbook were rendered from."""
    _reader(request)
    p = _published(product_id)
    return {**product_out(request, p), "snapshot": p.snapshot or {}}


@router.get("/products/{product_id}/files/{fmt}", response=responses({}), summary="下载考评产品文件",
            openapi_extra={"responses": {"200": {"description": "Word 文档或 Excel 工作簿", "content": {
                CONTENT_TYPES["docx"]: {"schema": {"type": "string", "format": "binary"}},
                CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            }}}})
def download_product(request, product_id: int, fmt: str):
    """`fmt`: docx or xlsx; the files issued on publication."""
    _reader(request)
    p = _published(product_id)
    field = getattr(p, fmt) if fmt in CONTENT_TYPES else None
    if field is None or not field.name:
        raise not_found(_("没有这个文件"))
    try:
        handle = default_storage.open(field.name, "rb")
    except OSError:
        raise not_found(_("文件已不存在")) from None
    name = f"{ProductKind(p.kind).label}-{p.period_key}-v{p.version}.{fmt}"
    response = FileResponse(handle, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f"attachment; filename=\"{p.kind}-{p.period_key}-v{p.version}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    )
    return response
