"""Shared test fixtures. Browser tests use Debian's Chromium through Playwright (Playwright cannot download its own)."""

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """Tests marked postgres_only (row locks, real concurrency) run in CI's PostgreSQL pass and skip on SQLite."""
    if request.node.get_closest_marker("postgres_only"):
        from django.conf import settings

        if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
            pytest.skip("需要 PostgreSQL（行锁）/ needs PostgreSQL row locks")


@pytest.fixture(autouse=True)
def _clock_not_left_frozen():
    """A test that leaves the one clock frozen would silently change every later test's "now"."""
    from wenming.core import clock

    yield
    leaked, clock._frozen = clock._frozen, None
    assert leaked is None, f"clock left frozen at {leaked}"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in zh-hans: a page requested in English must not leave English active for the next test."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def chromium():
    """A launched headless Chromium; skips (or fails in CI) when Debian's chromium is missing."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("WENMING_REQUIRE_BROWSER"):
            pytest.fail("CI 需要 /usr/bin/chromium 运行浏览器测试 / browser tests required but Chromium is missing")
        pytest.skip("未安装 Chromium，跳过浏览器测试 / Chromium missing: browser test skipped")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(locale="zh-CN", base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
