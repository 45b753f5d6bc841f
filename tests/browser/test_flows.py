"""What users see, in a real browser: each flow by keyboard, screenshotted at desktop and phone width, axe-clean.

Later flows (Accounts tab, groups, the rollover wizard, import, communities, MIS status) are
added here or in sibling modules as more test functions using the same fixtures and helpers.
"""

import pytest

from accounts.models import User

from tests.browser.harness import (
    activate,
    check_a11y,
    focused,
    login,
    logout,
    shoot,
    tab_to,
    type_into,
    visit,
)

# Demo login → the name its screenshots are saved under.
ROLES = {
    "demo-superadmin": "superadmin",
    "demo-admin": "admin",
    "demo-teacher": "teacher",
    "demo-pupil": "pupil",
}


class SignInTests:
    def test_the_login_page_is_accessible_and_fits_a_phone(self, page):
        visit(page, "/login/")
        shoot(page, "login")  # also fails if the page scrolls sideways at phone width

    @pytest.mark.parametrize("username", ["demo-pupil", "demo-teacher"])
    def test_pupils_and_teachers_land_on_their_themed_homepage_by_keyboard(self, page, username):
        login(page, username)
        assert page.url.endswith("/home/")
        body_class = page.locator("body").get_attribute("class")
        assert body_class == "theme-improver"  # the demo pupil is in Year 3; staff get the Improver look
        assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
        assert page.get_by_role("link", name="Admin toolbox").count() == 0
        shoot(page, f"home-{ROLES[username]}")

    @pytest.mark.parametrize(("year_group", "theme"), [("R", "early_years"), ("Y1", "starter"), ("Y5", "improver")])
    def test_each_key_stage_gets_its_own_homepage_theme(self, page, year_group, theme):
        pupil = User.objects.filter(school__slug="demo", role="pupil", year_group=year_group).order_by("pk").first()
        login(page, pupil.username)
        assert page.locator("body").get_attribute("class") == f"theme-{theme}"
        assert page.locator(f'link[href$="theme-{theme}.css"]').count() == 1
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == (f"Hello {pupil.first_name}!" if theme == "early_years" else f"Welcome, {pupil.first_name}")
        shoot(page, f"home-pupil-{theme}")

    @pytest.mark.parametrize("username", ["demo-admin", "demo-superadmin"])
    def test_admins_reach_the_toolbox_from_their_landing_page_by_keyboard(self, page, username):
        login(page, username)
        assert page.url.endswith("/home/")
        assert page.get_by_role("link", name="Go to the admin toolbox").is_visible()
        shoot(page, f"home-{ROLES[username]}")

        activate(page, r"^a\|.*Admin toolbox$")
        assert page.url.endswith("/toolbox/")
        assert page.get_by_role("heading", level=1).inner_text() == "Admin toolbox"
        assert page.locator(".stat-grid").inner_text().count("\n") >= 3
        shoot(page, f"toolbox-{ROLES[username]}")

    def test_the_skip_link_is_the_first_thing_the_keyboard_reaches(self, page):
        login(page, "demo-pupil")
        tab_to(page, r"Skip to main content", max_presses=1)
        page.keyboard.press("Enter")
        assert focused(page).startswith("main|")

    def test_signing_out_by_keyboard_ends_the_session(self, page):
        login(page, "demo-teacher")
        logout(page)
        assert "/login/" in page.url
        visit(page, "/home/")
        assert "/login/" in page.url
        assert page.get_by_role("heading", level=1).inner_text() == "Sign in"

    def test_a_wrong_password_shows_an_error_summary_linked_to_the_field(self, page):
        login(page, "demo-pupil", password="not-the-password")
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        assert "There is a problem" in summary.inner_text()
        # app.js moves the focus to the summary so a screen reader announces it first.
        assert focused(page).startswith("div|")
        shoot(page, "login-error")

        # The summary's link takes the keyboard user straight to the field to fix.
        tab_to(page, r"^a\|.*Enter a correct username and password")
        page.keyboard.press("Enter")
        assert focused(page).startswith("input|text|id_username|")
        type_into(page, r"^input\|password\|id_password\|", "still-wrong")
        check_a11y(page)
