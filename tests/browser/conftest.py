"""Browser tests: Playwright drives Debian's Chromium against the live server with the demo data.

One Chromium per test session; a fresh browser context (cookies, storage) per test. Never
`playwright install`: the browser is the system's /usr/bin/chromium, which `.ci/run` installs.
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.harness import DEMO_PASSWORD, DESKTOP
from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(django_db_setup, live_server):
    """One Chromium for the session, started after (and stopped before) the test database and server."""
    if not CHROMIUM.exists():
        require_service(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API is running, its event loop counts as running in this thread and
    # Django's ORM would refuse to work (SynchronousOnlyOperation), in these tests and in any that
    # run after them in the session. Only for tests: check --deploy rejects it in production.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo(transactional_db, live_server):
    """The demo school from `seed_demo`, served by the live server; returns the server's URL."""
    call_command("seed_demo", "--password", DEMO_PASSWORD, stdout=io.StringIO())
    return live_server.url


@pytest.fixture
def page(browser, demo):
    """A page in a fresh context at desktop width, in UK English, with every console error kept.

    The test fails afterwards if the page logged a Content-Security-Policy violation or a
    JavaScript error, since either means something on the page silently did not work.
    """
    context = browser.new_context(base_url=demo, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.console_problems = problems  # a test that provokes a problem on purpose clears it
    yield page
    context.close()
    # A 404/401 resource is logged as a console error too; only script/CSP problems matter here.
    serious = [p for p in problems if "Content Security Policy" in p or p.startswith("JavaScript error")]
    assert not serious, f"The page reported problems in the console: {serious}"
