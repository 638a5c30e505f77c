"""The active category catalogue, read for every report without a query (a core.snapshot.ProcessSnapshot).

A category saved or deleted in this process is seen at once; one changed by another process (the admin in another
server worker) within CHECK_SECONDS. The Category instances returned are shared: read them, never save them.
"""

from __future__ import annotations

from wenming.core.snapshot import ProcessSnapshot, model_fingerprint

from .models import Category

CHECK_SECONDS = 5.0


def _by_code() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.active()}


snapshot = ProcessSnapshot(
    "case-categories", build=_by_code, fingerprint=lambda: model_fingerprint(Category), check_seconds=CHECK_SECONDS
).watch(Category)


def active_category(code: str | None) -> Category | None:
    """The active category with this code, or None."""
    return snapshot.get().get(code) if code else None


def public_category(code: str | None) -> Category | None:
    """An active category citizens may choose (Open311 services), or None."""
    found = active_category(code)
    return found if found is not None and found.is_public else None
