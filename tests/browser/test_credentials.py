"""New passwords: the admin who made them sees them once and downloads cards and a spreadsheet by keyboard."""

from accounts.credential_sheets import Credential, credential_sheet_store
from accounts.models import Group, User
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditContext
from tests.browser.harness import login, shoot, tab_to, visit


def make_sheet():
    """New pupils made the way the toolbox and the import make them, with their sheet stored."""
    admin = User.objects.get(username="demo-admin")
    group = Group.objects.get(school=admin.school, name="Reception Robins")
    created = accounts_create(
        ctx=AuditContext(school=admin.school, actor=admin, source="browser test"),
        new=[NewAccount(forename=f, surname="Nowak", group=group) for f in ("Maja", "Oisín", "Zoë")],
        today=admin.school.local_today(),
    )
    rows = [Credential(c.account.get_full_name(), c.account.username, c.password, group.name, "early_years")
            for c in created]
    return credential_sheet_store(admin=admin, title="New Reception logins", rows=rows), created


class CredentialsPageTests:
    def test_an_admin_sees_the_new_passwords_and_downloads_them_by_keyboard(self, page):
        token, created = make_sheet()
        login(page, "demo-admin")
        visit(page, f"/toolbox/credentials/{token}/")
        table = page.locator("table").inner_text()
        for c in created:
            assert c.account.username in table and c.password in table
        shoot(page, "credentials")

        for link, suffix in (("Download login cards", ".pdf"), ("Download credentials spreadsheet", ".xlsx")):
            tab_to(page, rf"^a\|.*{link}")
            with page.expect_download() as download:
                page.keyboard.press("Enter")
            assert download.value.suggested_filename.endswith(suffix)

    def test_another_admin_gets_a_404_for_the_same_link(self, page):
        token, _ = make_sheet()
        login(page, "demo-superadmin")
        response = visit(page, f"/toolbox/credentials/{token}/", a11y=False)
        assert response.status == 404
