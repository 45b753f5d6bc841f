"""The harness itself: proof that its checks can fail, so a green run means something."""

import pytest

from tests.browser.harness import check_a11y, login


class HarnessTests:
    def test_the_axe_check_fails_on_a_serious_accessibility_problem(self, page):
        page.goto("/login/")
        check_a11y(page)
        # An unlabelled text box is a critical axe violation ("label").
        page.evaluate("() => document.querySelector('form').append(document.createElement('input'))")
        with pytest.raises(AssertionError, match="label"):
            check_a11y(page)

    def test_the_browser_enforces_our_csp_against_inline_script_and_style(self, page):
        login(page, "demo-pupil")
        page.evaluate(
            """() => {
              const s = document.createElement("script");
              s.textContent = "window.__inlineRan = true";
              document.body.append(s);
              const st = document.createElement("style");
              st.textContent = "body { background: rgb(1, 2, 3) !important }";
              document.head.append(st);
            }"""
        )
        page.wait_for_timeout(100)
        assert page.evaluate("() => window.__inlineRan === undefined")
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != "rgb(1, 2, 3)"
        reported = [p for p in page.console_problems if "Content Security Policy" in p]
        assert len(reported) == 2, page.console_problems
        page.console_problems.clear()  # provoked on purpose; the page fixture fails tests on any other

    def test_the_focus_check_fails_when_the_focus_is_invisible(self, page):
        from tests.browser.harness import assert_focus_visible, tab_to

        page.goto("/login/")
        tab_to(page, r"^input\|text\|id_username\|")  # visible: passes
        page.evaluate("() => { const el = document.activeElement; el.classList.add('x');"
                      " el.style.setProperty('outline', 'none', 'important');"
                      " el.style.setProperty('box-shadow', 'none', 'important'); }")
        with pytest.raises(AssertionError, match="no visible focus indicator"):
            assert_focus_visible(page)

    def test_shoot_fails_when_a_page_scrolls_sideways_on_a_phone(self, page):
        from tests.browser.harness import shoot

        page.goto("/login/")
        page.evaluate(
            """() => {
              const wide = document.createElement("p");
              wide.textContent = "x".repeat(400);
              wide.style.setProperty("white-space", "nowrap");
              document.querySelector("main").append(wide);
            }"""
        )
        with pytest.raises(AssertionError, match="scrolls sideways at phone width"):
            shoot(page, "harness-too-wide", a11y=False)
