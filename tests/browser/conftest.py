import os
import shutil

import pytest
import time_machine

from tests.conftest import FROZEN_NOW, ON_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are in
# their own thread, and the test's own ORM calls are synchronous by design.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if ON_CI:
            pytest.fail(f"Chromium is required on CI ({CHROMIUM} not found)")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="pl-PL", viewport={"width": 412, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def ticking():
    """The clock from a fixed start, running: Friday 20 Nov 2026, 10:00 in Warsaw (FROZEN_NOW),
    far from midnight and from a DST change. The live server answers from a thread of this
    process, so it reads the same clock as the test; Chromium keeps its own, which only the
    page's scripts would see (cookies carry Max-Age, so their lifetime does not depend on it)."""
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every journey signs in from 127.0.0.1: the per-IP sign-in limits (allauth, axes counters
    in the cache) must not carry over from earlier journeys of the same process."""
    from django.core.cache import cache

    cache.clear()
    yield
