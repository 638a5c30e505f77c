"""The in-memory spatial index's freshness (`wenming.geo.locate`), declared where no shapely/numpy is imported.

`index` is a core.snapshot.ProcessSnapshot watching GridCell and Jurisdiction: rebuilt at once when this process
changes them, within `index.check_seconds` when another process does. Bulk writes that send no model signals
(the GeoJSON importer, the demo grid) call `index.changed()` themselves, and again when their transaction commits.

`names` is the same for the address matcher's name table (`wenming.geo.geocode`), watching Jurisdiction. Both are
declared here, imported when the app is ready, so their receivers are connected before any row changes.
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

names = ProcessSnapshot(
    "geo-names",
    build="wenming.geo.geocode:_NameTable",
    fingerprint=lambda: model_fingerprint(Jurisdiction),
    check_seconds=3.0,
).watch(Jurisdiction)


def bump() -> None:
    index.changed()
    names.changed()
