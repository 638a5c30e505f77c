"""A per-process copy of a small set of tables that every request reads and an administrator rarely changes.

Report intake reads the category catalogue and the grid for every report; asking the database each time cost
about 0.5 ms of CPU per lookup, a sixth of a report (bench/intake.py; issue #3's ≥ 300 reports/s on 2 cores).
A `ProcessSnapshot` builds its value once and rebuilds it:

- at once when this process saves or deletes a watched model (post_save/post_delete), or calls `changed()`
  after bulk writes that send no signals;
- for changes made by other processes (the admin in another worker), when a cheap fingerprint of the tables
  (row count, latest `updated_at`, highest id) differs; that check runs at most once every `check_seconds`;
- on every use while this process has changed the tables inside a transaction that has not ended, so a rollback
  never leaves rolled-back rows in the copy;
- after `migrate`/`flush` (a transactional test's teardown), which rewrite tables without model signals.

So another process's change is seen within `check_seconds`; this process's own change at once. Values handed out
are shared between requests (and threads): treat them as read-only.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_migrate, post_save


def model_fingerprint(*models) -> tuple:
    """(count, latest updated_at, highest id) of each model: changes whenever a row is added, saved or removed."""
    out: list = []
    for model in models:
        fields = {"n": Count("pk"), "m": Max("pk")}
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            fields["t"] = Max("updated_at")
        out.extend(model._default_manager.aggregate(**fields).values())
    return tuple(out)


class ProcessSnapshot:
    """`get()` returns `build()`'s value, rebuilt as the module notes say. `build` may be a callable or a
    "module:attribute" path, imported on first use (so a snapshot can be declared where heavy imports are unwanted).
    """

    def __init__(self, name: str, *, build: Callable[[], Any] | str, fingerprint: Callable[[], tuple],
                 check_seconds: float) -> None:
        self.name = name
        self._build = build
        self.fingerprint = fingerprint
        self.check_seconds = check_seconds
        self.version = 0  # bumped by every change this process makes
        self.uncommitted = False  # this process changed the tables inside a transaction not yet seen to end
        self._lock = threading.Lock()
        self._value: Any = None
        self._built_version = -1
        self._fingerprint: tuple | None = None
        self._checked_at = 0.0
        post_migrate.connect(self._tables_rewritten, weak=False, dispatch_uid=f"snapshot-{name}-rewritten")

    def watch(self, *models) -> ProcessSnapshot:
        for model in models:
            uid = f"snapshot-{self.name}-{model._meta.label_lower}"
            post_save.connect(self._model_changed, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
            post_delete.connect(self._model_changed, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")
        return self

    def _model_changed(self, sender=None, using=None, **kwargs) -> None:
        self.changed(using)

    def changed(self, using: str | None = None) -> None:
        """Tell the snapshot its tables changed in this process (call after bulk writes that bypass signals)."""
        self.version += 1
        if transaction.get_connection(using).in_atomic_block:
            self.uncommitted = True

    def invalidate(self) -> None:
        """Drop the value; the next `get()` rebuilds it."""
        with self._lock:
            self._value = None

    def _tables_rewritten(self, **kwargs) -> None:
        self.invalidate()

    def build(self) -> Any:
        if isinstance(self._build, str):
            module, _, attribute = self._build.partition(":")
            self._build = getattr(importlib.import_module(module), attribute)
        return self._build()

    def get(self) -> Any:
        value, now = self._value, time.monotonic()
        fresh = self._built_version == self.version and not self.uncommitted
        if value is not None and fresh and now - self._checked_at < self.check_seconds:
            return value
        with self._lock:
            now = time.monotonic()
            fingerprint = self.fingerprint()
            if self._value is None or self._built_version != self.version or fingerprint != self._fingerprint:
                self._built_version = self.version
                self._value = self.build()
                # The fingerprint from before the build: a write landing during the build makes the next check
                # differ and rebuild, rather than being marked as seen.
                self._fingerprint = fingerprint
            if not connection.in_atomic_block:
                self.uncommitted = False  # whatever was pending is now committed or rolled back
            self._checked_at = now
            return self._value
