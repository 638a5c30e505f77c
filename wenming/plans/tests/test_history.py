"""The unit list shows the latest reports of each target; the full history loads on demand."""

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


def test_unit_page_shows_latest_six_and_offers_all(client, long_history):
    w = long_history
    client.force_login(w.users.chengguan)
    with clock.frozen("2019-10-20"):
        html = client.get(reverse("plans:unit", args=[w.chengguan.pk])).content.decode()
    assert "报送记录 10 条" in html
    assert "第10月进展" in html and "第5月进展" in html
    assert "第4月进展" not in html  # older ones are behind the link
    assert "查看全部 10 条" in html


def test_full_history_for_the_unit_but_not_for_strangers(client, long_history):
    w = long_history
    url = reverse("plans:history", args=[w.toilets.pk])
    client.force_login(w.users.chengguan)
    html = client.get(url).content.decode()
    assert all(f"第{m}月进展" in html for m in range(1, 11))
    client.force_login(w.users.jiaotong)
    assert client.get(url).status_code == 403
