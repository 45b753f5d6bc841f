"""The rollover wizard on the demo school, by keyboard: the task list, each step's check page, and
the statuses moving from "Cannot start yet" to "Completed"."""

from accounts.models import Group, User
from tests.browser.harness import activate, login, shoot, visit


def statuses(page) -> list[str]:
    return page.locator(".wizard-tasks .tag").all_inner_texts()


class RolloverWizardFlowTests:
    def test_an_admin_runs_all_three_steps_of_the_rollover(self, page):
        school_pupils = User.objects.filter(school__slug="demo", role="pupil", status="active")
        year6 = set(school_pupils.filter(year_group="Y6").values_list("pk", flat=True))
        year5_before = school_pupils.filter(year_group="Y5").count()
        assert year6 and year5_before
        login(page, "demo-admin")
        visit(page, "/toolbox/rollover/")
        assert statuses(page) == ["Not started", "Cannot start yet", "Cannot start yet"]
        shoot(page, "wizard-tasks")

        # Step 1: Year 6 become leavers, everyone ticked by default.
        activate(page, r"^a\|.*\|1\. ")
        assert page.locator("input[name=pupils]:checked").count() == len(year6)  # every Year 6 pupil ticked
        shoot(page, "wizard-leavers")
        activate(page, r"^button\|submit\|.*\|Continue$", max_presses=120)
        assert page.locator("main").inner_text().count("Year 6") >= 1
        shoot(page, "wizard-leavers-check")
        activate(page, rf"^button\|submit\|.*\|Make {len(year6)} pupils leavers$")
        assert page.url.endswith("/toolbox/rollover/")
        assert f"Step 1 completed: {len(year6)}" in page.locator("main").inner_text()
        assert statuses(page) == ["Completed", "Not started", "Cannot start yet"]
        assert set(User.objects.filter(pk__in=year6).values_list("status", flat=True)) == {"leaver"}

        # Step 2: the emptied Year 6 classes are deleted, the rest renamed oldest year first.
        year6_classes = set(Group.objects.filter(school__slug="demo", year_group="Y6").values_list("name", flat=True))
        activate(page, r"^a\|.*\|2\. ")
        shoot(page, "wizard-classes")
        activate(page, r"^button\|submit\|.*\|Continue$", max_presses=120)
        shoot(page, "wizard-classes-check")
        activate(page, r"^button\|submit\|.*\|Apply these changes to the classes$")
        assert "Step 2 completed" in page.locator("main").inner_text()
        assert statuses(page) == ["Completed", "Completed", "Not started"]
        names = set(Group.objects.filter(school__slug="demo").values_list("name", flat=True))
        assert "Year 6 Cedar" in names and "Year 5 Cedar" not in names  # Year 5 moved up into the free name
        assert not (year6_classes - {"Year 6 Cedar", "Year 6 Willow"}) & names

        # Step 3: every pupil moves up a year group.
        activate(page, r"^a\|.*\|3\. ")
        shoot(page, "wizard-year-groups")
        activate(page, r"^button\|submit\|.*\|Move pupils up a year group$")
        assert statuses(page) == ["Completed", "Completed", "Completed"]
        assert page.locator(".banner--success").first.is_visible()
        shoot(page, "wizard-complete")
        assert (
            User.objects.filter(school__slug="demo", role="pupil", status="active", year_group="Y6").count()
            == year5_before
        )
