"""What the schedule produces (seed §38/§41: 一周一观察、一月一分析、一季一通报、一年一考核).

On any day, each kind's due product is the newest period that has ended: last week from Monday, last month from
the 1st, last quarter from the 1st of January/April/July/October, last year from 1 January. A period that has
any version already (draft, in review, published or being generated) is not due again, so running the schedule
every hour, or twice at once, queues each product once.
"""

from __future__ import annotations

import datetime as dt

from wenming.core import clock

from .models import Product, ProductKind
from .products.periods import last_complete
from .products.services import ProductError, generation_request


def due(today: dt.date | None = None) -> list[tuple[str, object]]:
    today = today or clock.today()
    out = []
    for kind in ProductKind:
        period = last_complete(kind, today)
        if not Product.objects.of(kind, period.code).exists():
            out.append((kind.value, period))
    return out


def enqueue_due(today: dt.date | None = None) -> list[Product]:
    queued = []
    for kind, period in due(today):
        try:
            queued.append(generation_request(kind=kind, period=period))
        except ProductError:
            continue  # another run got there first
    return queued
