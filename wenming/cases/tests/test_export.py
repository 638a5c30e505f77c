"""Excel export (issue #3 §4): the same filters as the page, Chinese headers, read back with openpyxl."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wenming.cases.exports import HEADERS
from wenming.cases.models import Channel
from wenming.cases.workflow import Status

from .conftest import START


def sheet(response):
    body = b"".join(response.streaming_content)
    wb = load_workbook(io.BytesIO(body), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    return rows[0], rows[1:]


def codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


@pytest.fixture
def cases(world, frozen_start):
    return [
        world.case(Status.IN_PROGRESS, channel=Channel.HOTLINE, is_supervised=True, description="=HYPERLINK(\"x\")油烟"),
        world.case(Status.IN_PROGRESS, channel=Channel.WEB, due_at=START - dt.timedelta(hours=3)),
        world.case(Status.REPORTED, channel=Channel.HOTLINE),
        world.case(Status.CLOSED, channel=Channel.H5, satisfaction=5),
    ]


@pytest.mark.parametrize("params", [
    {"queue": "all"},
    {"queue": "all", "channel": "hotline"},
    {"queue": "all", "supervised": "on"},
    {"queue": "overdue"},
    {"queue": "reported"},
    {"queue": "all", "q": "油烟"},
])
def test_export_matches_the_page(client, world, cases, frozen_start, params):
    client.force_login(world.office)
    page = codes(client.get(reverse("cases:office"), params))
    response = client.get(reverse("cases:export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    header, rows = sheet(response)
    assert header == HEADERS
    assert [r[0] for r in rows] == page


def test_export_cells(client, world, cases, frozen_start):
    client.force_login(world.office)
    header, rows = sheet(client.get(reverse("cases:export"), {"queue": "all"}))
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    first = by_code[cases[0].tracking_code]
    assert first["问题描述"] == "=HYPERLINK(\"x\")油烟"  # kept as text, never a formula
    assert first["来源渠道"] == "热线" and first["状态"] == "处置中" and first["已督办"] == "是"
    assert first["责任单位"] == "市城管局" and first["问题类别"] == "占道经营"
    assert first["上报时间"] == START.replace(tzinfo=None)
    assert by_code[cases[1].tracking_code]["是否超期"] == "是"
    assert by_code[cases[3].tracking_code]["满意度"] == "非常满意"


def test_unit_export_is_scoped_to_the_unit(client, world, frozen_start):
    mine = world.case(Status.IN_PROGRESS)
    world.case(Status.IN_PROGRESS, assigned_unit=world.other_unit)
    client.force_login(world.unit_user)
    _header, rows = sheet(client.get(reverse("cases:unit_export")))
    assert [r[0] for r in rows] == [mine.tracking_code]
    assert client.get(reverse("cases:export")).status_code == 403


def test_export_streams_many_rows(client, world, frozen_start):
    from wenming.cases.models import Case

    Case.objects.bulk_create([
        Case(tracking_code=f"WMBULK{i:010d}", description="占道经营", category=world.category, channel=Channel.WEB,
             created_at=START - dt.timedelta(minutes=i))
        for i in range(3000)
    ])
    client.force_login(world.office)
    _header, rows = sheet(client.get(reverse("cases:export"), {"queue": "all"}))
    assert len(rows) == 3000 and rows[0][0] == "WMBULK0000000000"
