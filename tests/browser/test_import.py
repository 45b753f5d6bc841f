"""Spreadsheet import by keyboard: template, a file with errors shown per row, the fixed file,
import, the credentials page and the login cards PDF."""

import csv

import openpyxl

from accounts.models import User
from tests.browser.harness import activate, login, shoot, tab_to, visit

HEADER = ["Forename", "Surname", "Group", "Username", "Password", "Admission number", "Homepage theme"]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def upload(page, path) -> None:
    """Tab to the file input, open the file chooser with the keyboard, pick the file, submit."""
    tab_to(page, r"^input\|file\|")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(path))
    activate(page, r"^button\|submit\|.*\|Upload and preview$")


class ImportFlowTests:
    def test_an_admin_fixes_a_file_with_errors_imports_it_and_downloads_the_login_cards(self, page, tmp_path):
        login(page, "demo-admin")
        visit(page, "/toolbox/import/")
        shoot(page, "import-upload")

        tab_to(page, r"^a\|.*Download template \(\.xlsx\)")
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        template = tmp_path / download.value.suggested_filename
        download.value.save_as(template)
        first_rows = [[c.value for c in next(ws.iter_rows(max_row=1))] for ws in openpyxl.load_workbook(template)]
        assert any(row[:3] == ["Forename", "Surname", "Group"] for row in first_rows), first_rows

        bad = write_csv(
            tmp_path / "new-pupils.csv",
            [
                ["Maisie", "Okafor", "Reception Robins", "", "", "", ""],
                ["Tomasz", "", "Reception Robins", "", "", "", ""],  # no surname
                ["Aisha", "Begum", "No Such Class", "", "", "", ""],  # unknown class
            ],
        )
        upload(page, bad)
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        problems = summary.locator("li").all_inner_texts()
        assert any(p.startswith("Row 3") and "Surname" in p for p in problems), problems
        assert any(p.startswith("Row 4") and "Group" in p for p in problems), problems
        assert page.locator("#row-3 .import-errors").is_visible() and page.locator("#row-4 .import-errors").is_visible()
        assert page.get_by_role("button", name="Import pupils").is_disabled()
        shoot(page, "import-errors")
        # The summary's link takes the keyboard to the row.
        tab_to(page, r"^a\|.*Row 3")
        page.keyboard.press("Enter")
        assert page.url.endswith("#row-3")

        visit(page, "/toolbox/import/")
        good = write_csv(
            tmp_path / "new-pupils-fixed.csv",
            [
                ["Maisie", "Okafor", "Reception Robins", "", "", "", ""],
                ["Tomasz", "Nowak", "Reception Robins", "", "", "", ""],
                ["Aisha", "Begum", "Reception Wrens", "", "", "", ""],
            ],
        )
        upload(page, good)
        assert page.locator(".error-summary").count() == 0
        assert page.locator("tr.import-row--new").count() == 3
        shoot(page, "import-preview")

        activate(page, r"^button\|submit\|.*\|Import pupils$")
        page.wait_for_url("**/toolbox/credentials/**")
        table = page.locator("table").inner_text()
        for surname in ("Okafor", "Nowak", "Begum"):
            assert User.objects.filter(school__slug="demo", last_name=surname, status="active").exists()
            assert surname in table
        shoot(page, "import-credentials")

        tab_to(page, r"^a\|.*Download login cards")
        with page.expect_download() as cards:
            page.keyboard.press("Enter")
        pdf = tmp_path / "cards.pdf"
        cards.value.save_as(pdf)
        assert cards.value.suggested_filename.endswith(".pdf")
        assert pdf.read_bytes().startswith(b"%PDF-")
