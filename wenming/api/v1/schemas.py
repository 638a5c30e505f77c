"""Base for input schemas: unknown fields are refused (400), and so is the NUL character, which PostgreSQL text
cannot store; everything else (SQL, script) is kept exactly as typed and only ever output encoded."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, model_validator


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data):
        items = data.items() if isinstance(data, dict) else ()
        for _key, value in items:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("NUL")
        return data


def reject_unknown_form_fields(request, schema: type[Schema], files: tuple[str, ...] = ()) -> None:
    """Ninja's Form reads only declared fields, so extra="forbid" cannot see the rest: check them here."""
    from django.utils.translation import gettext as _

    from .errors import ApiError

    allowed = set(schema.model_fields) | set(files)
    unknown = sorted({*request.POST.keys(), *request.FILES.keys()} - allowed)
    if unknown:
        raise ApiError(
            400, "invalid", _("请求参数有误，请检查后重试"),
            [{"field": name[:50], "message": _("不允许的字段")} for name in unknown[:20]],
        )
    for name in request.POST:
        if any("\x00" in v for v in request.POST.getlist(name)):
            raise ApiError(400, "invalid", _("请求参数有误，请检查后重试"),
                           [{"field": name[:50], "message": _("含有不允许的字符")}])
