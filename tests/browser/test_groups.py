"""Classes page by keyboard: [Actions] → Rename and → Delete, and the refusal for a class with pupils."""

from accounts.models import Group, GroupMembership
from tests.browser.harness import activate, login, shoot, tab_to, type_into, visit


def open_actions(page, group_name: str) -> None:
    """Tab to the class's [Actions] menu (a <details>) and open it with Enter."""
    tab_to(page, rf"^summary\|.*Actions\s+for {group_name}$", max_presses=200)
    page.keyboard.press("Enter")


class ClassesFlowTests:
    def test_an_admin_renames_then_deletes_an_empty_class_through_the_actions_menu(self, page):
        school = Group.objects.filter(school__slug="demo").first().school
        Group.objects.create(school=school, name="Spare room", year_group="Y4")
        login(page, "demo-admin")
        visit(page, "/toolbox/groups/")
        shoot(page, "classes")

        open_actions(page, "Spare room")
        activate(page, r"^a\|.*\|Rename$")
        type_into(page, r"^input\|text\|id_name\|", "")
        page.keyboard.press("Control+A")
        page.keyboard.type("Music room")
        shoot(page, "classes-rename")
        activate(page, r"^button\|submit\|.*\|Rename class$")
        assert page.url.endswith("/toolbox/groups/")
        assert "Music room" in page.locator("table").inner_text()
        assert Group.objects.filter(school=school, name="Music room").exists()

        open_actions(page, "Music room")
        activate(page, r"^a\|.*\|Delete$")
        assert "Music room is deleted for good" in page.locator(".summary-list").inner_text()
        shoot(page, "classes-delete-confirm")
        activate(page, r"^button\|submit\|.*\|Delete class$")
        assert page.url.endswith("/toolbox/groups/")
        assert "Music room" not in page.locator("table").inner_text()
        assert not Group.objects.filter(school=school, name__in=["Spare room", "Music room"]).exists()

    def test_deleting_a_class_with_pupils_is_refused_with_the_reason(self, page):
        group = (
            Group.objects.filter(
                school__slug="demo", mis_managed=False, memberships__role="pupil", memberships__end_date__isnull=True
            )
            .order_by("pk")
            .first()
        )
        login(page, "demo-admin")
        visit(page, "/toolbox/groups/")
        open_actions(page, group.name)
        activate(page, r"^a\|.*\|Delete$")
        banner = page.locator(".banner--warning").inner_text()
        assert "cannot be deleted" in banner
        assert page.locator("form[action$='/delete/'] button").count() == 0  # nothing to press
        shoot(page, "classes-delete-refused")
        assert Group.objects.filter(pk=group.pk).exists()
        assert GroupMembership.objects.filter(group=group, end_date__isnull=True).exists()
