"""The in-memory spatial index's freshness (`wenming.geo.locate`), declared where no shapely/numpy is imported.

`index` is a core.snapshot.ProcessSnapshot watching GridCell and Jurisdiction: rebuilt at once when this process
changes them, within `index.check_seconds` when another process does. Bulk writes that send no model signals
(the GeoJSON importer, the demo grid) call `index.changed()` themselves, and again when their transaction commits.
"""

from __future__ import annotations

from wenming.core.snapshot import ProcessSnapshot, model_fingerprint

from .models import GridCell, Jurisdiction

index = ProcessSnapshot(
    "geo-index",
    build="wenming.geo.locate:_Index",
    fingerprint=lambda: model_fingerprint(GridCell, Jurisdiction),
    check_seconds=3.0,
).watch(GridCell, Jurisdiction)


def bump() -> None:
    index.changed()
