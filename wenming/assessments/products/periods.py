"""The period each product kind covers, and the one parser the pages, the tasks and the shell share."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from wenming.assessments.models import ProductKind
from wenming.assessments.periods import MONTH, QUARTER, WEEK, YEAR, Period

PERIOD_KIND = {
    ProductKind.WEEKLY: WEEK,
    ProductKind.MONTHLY: MONTH,
    ProductKind.QUARTERLY: QUARTER,
    ProductKind.ANNUAL: YEAR,
}
EXAMPLES = {
    ProductKind.WEEKLY: "2026-W47",
    ProductKind.MONTHLY: "2026-11",
    ProductKind.QUARTERLY: "2026-Q3",
    ProductKind.ANNUAL: "2026",
}


class PeriodError(ValueError):
    """A period string that does not name a period of the product's kind; the message is for the user."""


def product_kind(value: str) -> ProductKind:
    try:
        return ProductKind(value)
    except ValueError:
        raise PeriodError(
            _("没有这种考评产品：%(v)s。可选：weekly（周观察）、monthly（月分析）、quarterly（季通报）、annual（年考核）。")
            % {"v": value}
        ) from None


def parse_period(kind: str, text: str) -> Period:
    """The period of `kind` named by `text`; PeriodError with a Chinese message otherwise."""
    kind = product_kind(kind)
    label = kind.label
    try:
        period = Period.parse(text)
    except ValueError:
        period = None
    if period is None or period.kind != PERIOD_KIND[kind]:
        raise PeriodError(
            _("周期格式不正确：“%(t)s”。%(k)s的周期应写作 %(e)s。") % {"t": text, "k": label, "e": EXAMPLES[kind]}
        )
    return period


def last_complete(kind: str, today: dt.date) -> Period:
    """The newest period of `kind` that has ended by `today` (what a schedule produces on `today`)."""
    current = Period.containing(today, PERIOD_KIND[ProductKind(kind)])
    return current.previous()
