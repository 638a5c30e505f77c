"""Tell the in-memory spatial index (`wenming.geo.locate`) that grid data changed in this process.

Kept free of shapely/numpy so that loading the app stays light: the index module reads `version` when it is
next used. Changes made by other processes are caught by the index's periodic database fingerprint check.
"""

from __future__ import annotations

from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import GridCell, Jurisdiction

version = 0
# Set when grid data changed inside a transaction: until the index has looked at the database outside any
# transaction, a rollback could have undone what it indexed, so it checks the fingerprint on every use.
uncommitted = False


def bump() -> None:
    global version, uncommitted
    version += 1
    if connection.in_atomic_block:
        uncommitted = True


@receiver(post_save, sender=GridCell, dispatch_uid="geo_index_cell_saved")
@receiver(post_delete, sender=GridCell, dispatch_uid="geo_index_cell_deleted")
@receiver(post_save, sender=Jurisdiction, dispatch_uid="geo_index_jurisdiction_saved")
@receiver(post_delete, sender=Jurisdiction, dispatch_uid="geo_index_jurisdiction_deleted")
def _grid_changed(sender, **kwargs) -> None:
    bump()
