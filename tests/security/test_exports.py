"""Every spreadsheet or CSV the product exports neutralises formula and control-character cells.

EXPORTERS lists every export as a function: given one hostile string, put it in every text
cell the export can fill, and return the cells as a spreadsheet program would read them back.
A new export is covered by adding one entry.
"""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from accounts.credential_sheets import Credential, CredentialSheet, credential_sheet_xlsx
from accounts.exports import DANGEROUS_PREFIXES, neutralise

HOSTILE = [
    "=HYPERLINK(\"http://evil.example\",\"Click\")",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "\0\0@cmd",
    "=cmd|' /C calc'!A0",
    "Ordinary name",
]


def xlsx_cells(content: bytes, *, skip_header: bool = True) -> list:
    """Every cell value (and formula) of every sheet, as a spreadsheet program would load it."""
    wb = load_workbook(io.BytesIO(content))
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2 if skip_header else 1):
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                cells.append(cell.value)
    return cells


def csv_cells(content: bytes | str) -> list:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    return [value for row in list(csv.reader(io.StringIO(text)))[1:] for value in row]


def export_neutralise(value):
    return [neutralise(value)]


def export_credentials_xlsx(value):
    rows = [Credential(name=value, username=value, password=value, group=value)]
    return xlsx_cells(credential_sheet_xlsx(CredentialSheet("t", value, value, "", rows)))


EXPORTERS = {
    "accounts.exports.neutralise": export_neutralise,
    "credentials spreadsheet": export_credentials_xlsx,
}


def assert_safe(cell, original):
    assert isinstance(cell, str)
    assert not cell.startswith(DANGEROUS_PREFIXES), f"{original!r} was exported as {cell!r}"
    assert "\0" not in cell


class ExportNeutralisingTests:
    @pytest.mark.parametrize("exporter", EXPORTERS, ids=list(EXPORTERS))
    @pytest.mark.parametrize("value", HOSTILE)
    def test_every_export_neutralises_hostile_cells(self, exporter, value):
        cells = EXPORTERS[exporter](value)
        assert cells, "the exporter returned no cells to check"
        for cell in cells:
            assert_safe(cell, value)
            # The text itself survives (XML reads a stored CR back as LF).
            assert cell.removeprefix("'").replace("\r", "\n") == value.replace("\0", "").replace("\r", "\n")

    def test_neutralise_leaves_ordinary_text_and_non_text_alone(self):
        assert neutralise("Zoë O'Brien") == "Zoë O'Brien"
        assert neutralise("") == ""
        assert neutralise(42) == 42
        assert neutralise(None) is None
        assert neutralise(-3) == -3  # numbers are numbers, not formulas


class NeutralisePropertyTests:
    @given(st.text())
    def test_the_result_never_starts_like_a_formula_or_holds_a_nul(self, value):
        result = neutralise(value)
        assert not result.startswith(DANGEROUS_PREFIXES)
        assert "\0" not in result

    @given(st.text())
    def test_nothing_printable_is_lost(self, value):
        result = neutralise(value)
        printable = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 0x20)
        assert result == printable or result == "'" + printable

    @given(st.text(alphabet=st.characters(blacklist_categories=["Cc"])).filter(
        lambda s: not s.startswith(DANGEROUS_PREFIXES)))
    def test_safe_text_is_unchanged(self, value):
        assert neutralise(value) == value

    @given(st.text(max_size=40))
    def test_the_credentials_spreadsheet_opens_with_any_text_and_holds_no_formula(self, value):
        for cell in export_credentials_xlsx(value):
            if cell is not None:  # openpyxl stores an empty string as an empty cell
                assert_safe(cell, value)


class ExportDownloadTests:
    @pytest.mark.django_db
    def test_a_name_with_control_characters_downloads_as_safe_text_not_a_500(self, client, people):
        from django.urls import reverse

        from accounts.credential_sheets import credential_sheet_store

        token = credential_sheet_store(
            admin=people.admin, title="Logins", rows=[Credential("\0=cmd|' /C calc'!A0", "u1", "pw", "\x07@Oak")]
        )
        client.force_login(people.admin)
        response = client.get(reverse("credentials_xlsx", args=[token]))
        assert response.status_code == 200
        cells = xlsx_cells(response.content)
        assert "'=cmd|' /C calc'!A0" in cells and "'@Oak" in cells
