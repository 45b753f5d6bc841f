"""Accounts tab by keyboard: find a pupil with the filters, tick them, Leave, confirm, see them in Leavers."""

from accounts.models import User
from tests.browser.harness import activate, login, shoot, tick, type_into, visit


class AccountsTabFlowTests:
    def test_an_admin_filters_ticks_and_makes_a_pupil_a_leaver(self, page):
        pupil = (
            User.objects.filter(school__slug="demo", role="pupil", status="active", year_group="Y6")
            .order_by("pk")
            .first()
        )
        name = pupil.get_full_name()
        login(page, "demo-admin")
        visit(page, "/toolbox/accounts/")

        type_into(page, r"^input\|.*\|id_q\|", pupil.last_name)
        activate(page, r"^button\|submit\|.*\|Apply$")
        assert pupil.last_name in page.url  # the filter is in the address, so Back and bookmarks keep it
        rows = page.locator("tbody tr")
        assert 1 <= rows.count() < 20
        assert all(pupil.last_name in text for text in rows.all_inner_texts())
        shoot(page, "accounts-filtered")

        tick(page, rf"^input\|checkbox\|.*Select {name}")
        activate(page, r"^button\|submit\|.*\|Leave$")
        assert page.get_by_role("heading", level=1).is_visible()
        table = page.locator("table").inner_text()
        assert name in table and pupil.username in table
        assert page.locator("tbody tr").count() == 1  # exactly what will change: this pupil only
        shoot(page, "accounts-leave-confirm")

        activate(page, r"^button\|submit\|.*\|Make them leavers$")
        assert page.locator(".banner, .notification-banner, [role=status]").first.is_visible()
        pupil.refresh_from_db()
        assert pupil.status == "leaver" and not pupil.is_active

        visit(page, "/toolbox/leavers/")
        assert name in page.locator("main").inner_text()
        shoot(page, "accounts-leavers")
