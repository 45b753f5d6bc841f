"""Helpers for the browser tests: signing in, screenshots, axe-core checks and keyboard-only driving.

Every helper takes a Playwright `Page` served by pytest-django's live server (see conftest.py),
so later flows (Accounts tab, groups, wizard, import, communities, MIS status) are written as
plain test functions that call these:

    def test_an_admin_makes_a_pupil_a_leaver(page, demo):
        login(page, "demo-admin")
        ...
        shoot(page, "accounts-leavers")     # desktop and phone screenshots, axe-checked at both widths
"""

import re
from pathlib import Path

from django.conf import settings

DEMO_PASSWORD = "letmein-demo-browser"
SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# axe's impact levels that fail a test; "minor" and "moderate" are reported by axe but tolerated.
FAILING_IMPACTS = {"serious", "critical"}


# --- Keyboard only -------------------------------------------------------------------------

_FOCUS_DESCRIPTION = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return [el.tagName.toLowerCase(), el.getAttribute("type") || "", el.id || "", label,
          el.getAttribute("aria-label") || "", (el.innerText || el.value || "").trim()].join("|");
}"""


def focused(page) -> str:
    """A description of the element that has the keyboard focus: tag|type|id|label|aria-label|text."""
    return page.evaluate(_FOCUS_DESCRIPTION)


_FOCUS_INDICATOR = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


def assert_focus_visible(page) -> None:
    """The focused element shows a focus indicator (an outline or a shadow), WCAG 2.4.7."""
    assert page.evaluate(_FOCUS_INDICATOR), f"no visible focus indicator on {focused(page)!r} at {page.url}"


def tab_to(page, pattern: str, *, max_presses: int = 60, backwards: bool = False) -> str:
    """Press Tab (or Shift+Tab) until the focused element's description matches `pattern` (a regex).

    Fails with the list of everything that took the focus on the way, which is what a keyboard
    user would have had to go through, so an unreachable control is an obvious failure.
    """
    regex = re.compile(pattern, re.IGNORECASE)
    seen = []
    for _ in range(max_presses):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        current = focused(page)
        seen.append(current)
        if regex.search(current):
            assert_focus_visible(page)
            return current
    raise AssertionError(f"No control matching {pattern!r} took the keyboard focus; tabbed through: {seen}")


def press(page, key: str = "Enter") -> None:
    page.keyboard.press(key)


def type_into(page, field_pattern: str, text: str) -> None:
    """Tab to a field (matched on its label or id) and type into it, as a keyboard user would."""
    tab_to(page, field_pattern)
    page.keyboard.type(text)


def tick(page, checkbox_pattern: str) -> None:
    """Tab to a checkbox or radio button (matched on its label or id) and press Space to tick it."""
    tab_to(page, checkbox_pattern)
    page.keyboard.press("Space")


def activate(page, control_pattern: str, *, a11y: bool = True, max_presses: int = 60) -> None:
    """Tab to a link or button and press Enter, waiting for the navigation it starts.

    The page it leads to is axe-checked, so every page a flow reaches is checked.
    """
    tab_to(page, control_pattern, max_presses=max_presses)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if a11y:
        check_a11y(page)


def visit(page, url: str, *, a11y: bool = True):
    """Open a URL (relative to the live server) and axe-check the page; returns the response."""
    response = page.goto(url)
    if a11y:
        check_a11y(page)
    return response


# --- Signing in ----------------------------------------------------------------------------


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form using only the keyboard, from a fresh login page."""
    visit(page, "/login/")
    type_into(page, r"^input\|text\|id_username\|", username)
    type_into(page, r"^input\|password\|id_password\|", password)
    activate(page, r"^button\|submit\|.*\|Sign in$")


def logout(page) -> None:
    """Sign out with the header's Sign out button (a POST form), by keyboard."""
    activate(page, r"^button\|submit\|.*Sign out")


# --- Screenshots and accessibility ---------------------------------------------------------


def check_a11y(page, *, context: str = "") -> list[dict]:
    """Run axe-core on the current page; fail on any serious or critical violation.

    axe is injected through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy does not govern, so the app's CSP stays fully enforced during the
    tests. Returns the tolerated (minor/moderate) violations for tests that want to look.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE + "\n;undefined")
    results = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ["violations"]});
          return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                         nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }"""
    )
    failing = [v for v in results if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe found serious/critical problems on {context or page.url}: {failing}"
    return results


def shoot(page, name: str, *, a11y: bool = True) -> tuple[Path, Path]:
    """Full-page screenshots at desktop (1280 px) and phone (390 px) width, axe-checked at both.

    At phone width the page must reflow without sideways scrolling of the whole page (WCAG
    1.4.10; a wide table scrolls inside its own container instead). Saved as
    screenshots/<name>-desktop.png and screenshots/<name>-phone.png; the viewport is put back
    to desktop width afterwards.
    """
    SCREENSHOTS.mkdir(exist_ok=True)
    paths = []
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        if a11y:
            check_a11y(page, context=f"{name} at {label} width")
        if label == "phone":
            assert no_horizontal_scroll(page), f"{name} scrolls sideways at phone width"
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(DESKTOP)
    return paths[0], paths[1]


def no_horizontal_scroll(page) -> bool:
    """True when the page fits the viewport's width (nothing forces sideways scrolling on a phone)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
