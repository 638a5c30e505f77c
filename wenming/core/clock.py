"""The one source of "now" (DESIGN.md §3 "One clock").

Everything that asks for the current time calls `now()` or `today()`; tests and the demo freeze it with
`frozen(...)` or the WENMING_TODAY environment variable ("YYYY-MM-DD"), which sets a configurable demo "today".
ruff's banned-api rule keeps `timezone.now` and `date.today` out of the rest of the code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_frozen: dt.datetime | None = None


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def now() -> dt.datetime:
    """Aware current time in the deployment's time zone."""
    if _frozen is not None:
        return _frozen
    fixed = os.environ.get("WENMING_TODAY")
    real = timezone.now().astimezone(_tz())  # noqa: TID251 - the one allowed call
    if fixed:
        day = dt.date.fromisoformat(fixed)
        return real.replace(year=day.year, month=day.month, day=day.day)
    return real


def today() -> dt.date:
    return now().date()


@contextmanager
def frozen(moment: dt.datetime | dt.date | str) -> Iterator[dt.datetime]:
    """Freeze the clock: `with clock.frozen("2019-06-30"): ...`."""
    global _frozen
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment) if "T" in moment or " " in moment else dt.date.fromisoformat(moment)
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12, 0))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=_tz())
    previous, _frozen = _frozen, moment
    try:
        yield moment
    finally:
        _frozen = previous
