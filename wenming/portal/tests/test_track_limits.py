"""Tracking-code look-ups are limited per client address (api.ratelimit buckets "track" and "track_miss"), so a bot
cannot enumerate codes: a Chinese 429 page with the wait and Retry-After; staff and other addresses carry on."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from wenming.accounts.models import User
from wenming.cases.models import CaseAttachment

from .test_intake_support import *  # noqa: F403 - fixtures: city_world, city
from .test_track import reported

# A day-long window: a test never straddles a window edge (a fixed window resets on the minute, hour or day).
DAY = 86400
OTHER_ADDRESS = {"REMOTE_ADDR": "10.20.30.40"}


@pytest.fixture(autouse=True)
def _fresh_counters():
    """The counters live in the cache, which outlives a test: each test starts and leaves with none."""
    cache.clear()
    yield
    cache.clear()


def detail(code: str) -> str:
    return reverse("portal:track_detail", args=[code])


def wrong(i: int) -> str:
    return f"WM20190101ZZZZ{i:02d}"


def assert_too_many(response) -> int:
    """429, the portal's own page in Chinese, and the same wait in the text and in Retry-After."""
    html = response.content.decode()
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= DAY
    assert f"请求过于频繁，请 {wait} 秒后再试" in html
    assert 'class="topbar"' in html and "<h1>查询办理进度</h1>" in html  # base.html, not a bare error
    return wait


def test_after_the_allowed_misses_the_address_is_refused(client, city, settings):
    settings.WENMING_API_ANON_RATE_LIMITS = {"track_miss": (3, DAY)}
    case = reported(city)
    photo = CaseAttachment.objects.get(event__case=case)
    # Misses count alike wherever a code is tried: the tracking page, the receipt, a photo URL.
    assert client.get(detail(wrong(1))).status_code == 404
    assert client.get(reverse("portal:receipt", args=[wrong(2)])).status_code == 404
    assert client.get(reverse("portal:track_photo", args=[wrong(3), photo.pk])).status_code == 404
    assert client.get(detail(case.tracking_code)).status_code == 200  # a real code is no miss

    wait = assert_too_many(client.get(detail(wrong(4))))
    # From then on every look-up from this address is refused, real codes too, so a refusal tells nothing.
    again = client.get(detail(case.tracking_code))
    assert assert_too_many(again) <= wait
    assert case.description not in again.content.decode()
    assert client.get(reverse("portal:track_photo", args=[case.tracking_code, photo.pk])).status_code == 429
    response = client.get(reverse("portal:track"), {"code": case.tracking_code}, follow=True)
    assert response.status_code == 429  # the look-up form leads to the same refusal


def test_staff_and_other_addresses_are_not_affected(client, city, settings):
    settings.WENMING_API_ANON_RATE_LIMITS = {"track_miss": (2, DAY)}
    case = reported(city)
    for i in range(3):
        client.get(detail(wrong(i)))
    assert client.get(detail(case.tracking_code)).status_code == 429

    other = client.get(detail(case.tracking_code), **OTHER_ADDRESS)
    assert other.status_code == 200 and case.tracking_code in other.content.decode()
    assert client.get(detail(wrong(9)), **OTHER_ADDRESS).status_code == 404  # its own budget

    client.force_login(city.office)
    page = client.get(detail(case.tracking_code))
    assert page.status_code == 200 and case.tracking_code in page.content.decode()
    for i in range(5):  # staff misses are not counted either
        assert client.get(detail(wrong(10 + i))).status_code == 404

    # An account without a role is a citizen's, not staff: the address's block applies.
    client.force_login(User.objects.create_user("citizen", password="x" * 12))
    assert client.get(detail(case.tracking_code)).status_code == 429


def test_total_look_ups_are_limited_too(client, city, settings):
    settings.WENMING_API_ANON_RATE_LIMITS = {"track": (4, DAY)}
    case = reported(city)
    photo = CaseAttachment.objects.get(event__case=case)
    assert client.get(detail(case.tracking_code)).status_code == 200
    assert client.get(reverse("portal:track_photo", args=[case.tracking_code, photo.pk])).status_code == 200
    assert client.get(reverse("portal:receipt", args=[case.tracking_code])).status_code == 200
    assert client.get(detail(case.tracking_code)).status_code == 200
    assert_too_many(client.get(detail(case.tracking_code)))
    assert client.get(detail(case.tracking_code), **OTHER_ADDRESS).status_code == 200
    client.force_login(city.office)
    assert client.get(detail(case.tracking_code)).status_code == 200


@pytest.mark.parametrize("allowed", [1, 4])
def test_the_miss_budget_comes_from_settings(client, city, settings, allowed):
    settings.WENMING_API_ANON_RATE_LIMITS = {"track_miss": (allowed, DAY)}
    codes = [client.get(detail(wrong(i))).status_code for i in range(allowed + 1)]
    assert codes == [404] * allowed + [429]


def test_default_budgets_leave_ordinary_use_alone(client, city):
    # A reporter who mistypes a few times, then opens the receipt and the tracking page a few times.
    case = reported(city)
    for i in range(5):
        assert client.get(detail(wrong(i))).status_code == 404
    for _ in range(10):
        assert client.get(detail(case.tracking_code)).status_code == 200
        assert client.get(reverse("portal:receipt", args=[case.tracking_code])).status_code == 200


def test_refusal_in_english(client, city, settings):
    settings.WENMING_API_ANON_RATE_LIMITS = {"track_miss": (0, DAY)}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(detail(wrong(1)))
    assert response.status_code == 429
    assert re.search(r"try again in \d+ seconds", response.content.decode())
