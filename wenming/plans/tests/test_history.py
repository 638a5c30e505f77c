"""The unit list shows each target's latest report; the full history loads when it is opened."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from wenming.core import clock

from .factories import ProgressReportFactory


@pytest.fixture
def long_history(world):
    for month in range(1, 11):
        ProgressReportFactory(
            target=world.toilets, org_unit=world.chengguan, period_start=dt.date(2019, month, 1),
            value=Decimal(10 * month), note=f"第{month}月进展",
        )
    return world


def test_unit_page_counts_reports_and_loads_rows_on_opening(client, long_history):
    w = long_history
    client.force_login(w.users.chengguan)
    with clock.frozen("2019-10-20"):
        html = client.get(reverse("plans:unit", args=[w.chengguan.pk])).content.decode()
    assert "报送记录 10 条" in html
    assert reverse("plans:history", args=[w.toilets.pk]) in html
    assert "第10月进展" in html  # the latest report is shown
    assert "第9月进展" not in html  # the rest are fetched when the history is opened


def test_full_history_for_the_unit_but_not_for_strangers(client, long_history):
    w = long_history
    url = reverse("plans:history", args=[w.toilets.pk])
    client.force_login(w.users.chengguan)
    html = client.get(url).content.decode()
    assert all(f"第{m}月进展" in html for m in range(1, 11))
    assert html.index("第10月进展") < html.index("第1月进展")  # newest first
    client.force_login(w.users.jiaotong)
    assert client.get(url).status_code == 403
