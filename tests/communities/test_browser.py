"""Real Chromium against a live server: the community pages and the three homepage looks load
under the Content-Security-Policy without a single console error (no inline script or style)."""

import shutil

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def short_lived_connections():
    """The live server answers each request in a new thread; without this, those threads'
    persistent PostgreSQL connections outlive the test and block dropping the test database."""
    from django.db import connections

    saved = connections.databases["default"].get("CONN_MAX_AGE", 0)
    connections.databases["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.databases["default"]["CONN_MAX_AGE"] = saved


@pytest.fixture
def browser(short_lived_connections, monkeypatch):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread, so every test here requests
    # `browser` last: its database set-up is done before the loop starts, and the test body
    # makes no ORM calls (a connection opened inside the loop would outlive the test).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


def visit(browser, live_server, username, paths):
    page = browser.new_page()
    problems = []
    # CSP violations are console errors ("Refused to apply inline style…"). Failed loads are
    # checked by URL instead, leaving out the browser's own /favicon.ico request.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
    return page, problems


@pytest.fixture
def pupil_in_year(people, communities, year_group):
    people.pupil.year_group = year_group
    people.pupil.save()
    return people.pupil


class BrowserTests:
    def test_community_pages_load_under_the_csp_without_errors(self, live_server, people, communities, browser):
        oak = communities.oak
        page, problems = visit(
            browser,
            live_server,
            "a-teacher",
            [
                oak.get_absolute_url(),
                reverse("communities:settings", args=[oak.pk]),
                reverse("communities:members", args=[oak.pk]),
                reverse("communities:entries", args=[oak.pk]),
            ],
        )
        assert problems == []
        page.close()

    def test_the_communities_tab_and_handover_load_without_errors(self, live_server, people, communities, browser):
        page, problems = visit(
            browser,
            live_server,
            "a-superadmin",
            [reverse("communities:index"), reverse("communities:handover"), reverse("communities:create_for_classes")],
        )
        assert problems == []
        page.close()

    @pytest.mark.parametrize("year_group", ["R", "Y1", "Y3"])
    def test_each_homepage_look_shows_the_community_tile(self, live_server, pupil_in_year, year_group, browser):
        page, problems = visit(browser, live_server, "a-pupil", [reverse("homepage")])
        tile = page.locator(".tile a")
        assert tile.count() == 1
        box = tile.bounding_box()
        if year_group == "R":
            assert page.locator(".tile-picture").evaluate("img => img.complete && img.naturalWidth > 0")
            assert box["height"] >= 200  # large picture-led tiles
        elif year_group == "Y3":
            assert box["height"] < 100  # a compact list
        assert problems == []
        page.close()
