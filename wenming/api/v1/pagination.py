"""Cursor pagination: `?cursor=…&limit=…` → {"items": [...], "next_cursor": "…" | null}.

Keyset on the primary key (newest first), so pages stay stable while new reports arrive and deep pages cost
the same as the first. The cursor is opaque to clients (base64 of the last id seen).
"""

from __future__ import annotations

import base64
import binascii

from django.utils.translation import gettext as _

from .errors import ApiError

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        tag, value = text.split(":", 1)
        pk = int(value)
        if tag != "pk" or pk < 1:
            raise ValueError
        return pk
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_cursor", _("分页游标无效，请从第一页重新获取")) from None


def page(queryset, cursor: str | None, limit: int | None, *, descending: bool = True):
    """Return (items, next_cursor). The queryset is re-ordered by primary key."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "bad_limit", _("每页条数须在 1 到 %(n)s 之间") % {"n": MAX_LIMIT})
    qs = queryset.order_by("-pk" if descending else "pk")
    if cursor:
        pk = decode(cursor)
        qs = qs.filter(pk__lt=pk) if descending else qs.filter(pk__gt=pk)
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(rows[-1].pk) if more and rows else None)
