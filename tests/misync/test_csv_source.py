"""The plain CSV/XLSX export connector."""

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from misync.connectors.base import ConnectorConfig, SourceError, get_connector
from tests.misync.httpserver import CannedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mis_csv"
HEADER = ["Forename", "Surname", "Group", "MIS id", "UPN", "Year group", "Start date", "Leave date"]


def fetch(location, school_ref="demo"):
    return get_connector("csv", ConnectorConfig(base_url=str(location), school_ref=school_ref)).fetch()


def write_csv(tmp_path, lines, name="export.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def write_xlsx(tmp_path, rows, name="export.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def error_of(location):
    with pytest.raises(SourceError) as caught:
        fetch(location)
    return caught.value


class CsvExportTests:
    def test_it_reads_the_import_columns_and_the_mis_columns(self):
        snapshot = fetch(FIXTURES / "pupils.csv")
        amy, cara, ben, dan = snapshot.pupils
        assert (amy.mis_id, amy.forename, amy.surname, amy.admission_number) == ("5001", "Amy", "Patel", "001301")
        assert (amy.upn, amy.year_group, amy.group_mis_id) == ("J826200100001", "Y6", "Year 6 Pine")
        assert amy.start_date == date(2019, 9, 3) and amy.leave_date == date(2026, 7, 23)
        assert (cara.surname, cara.upn, cara.year_group) == ("Nowak", "Y826200100002", "Y5")
        assert (ben.year_group, ben.start_date, ben.admission_number) == ("R", date(2026, 9, 3), None)
        assert dan.start_date == date(2020, 9, 3)
        assert snapshot.source == "csv" and snapshot.school_ref == "demo" and snapshot.as_of is None

    def test_a_row_without_an_mis_id_uses_its_upn(self):
        dan = fetch(FIXTURES / "pupils.csv").pupils[3]
        assert dan.mis_id == "B826200100004"

    def test_classes_are_named_once_whatever_the_spacing(self):
        groups = {g.mis_id: g for g in fetch(FIXTURES / "pupils.csv").groups}
        assert set(groups) == {"Year 6 Pine", "Year 5 Willow", "Reception Robins"}
        assert groups["Year 5 Willow"].year_group == "Y5"

    def test_headers_match_case_and_space_insensitively_with_aliases(self, tmp_path):
        path = write_csv(
            tmp_path,
            [
                "first name,LAST NAME,class,mis_id,  upn ,Year,Entry date,Leaving date",
                "Amy,Patel,6P,5001,J826200100001,6,03/09/2019,",
            ],
        )
        amy = fetch(path).pupils[0]
        assert (amy.forename, amy.surname, amy.group_mis_id, amy.year_group) == ("Amy", "Patel", "6P", "Y6")

    def test_a_windows_encoded_csv_is_read(self, tmp_path):
        path = write_csv(tmp_path, [",".join(HEADER), "Zoë,Brontë,6P,1,,Y6,,"], encoding="cp1252")
        assert fetch(path).pupils[0].forename == "Zoë"

    def test_blank_rows_are_skipped(self, tmp_path):
        path = write_csv(tmp_path, [",".join(HEADER), "Amy,Patel,6P,1,,Y6,,", ",,,,,,,", ""])
        assert len(fetch(path).pupils) == 1

    def test_a_file_at_a_url(self):
        with CannedServer() as server:
            server.route("GET", "/export/pupils.csv", body=(FIXTURES / "pupils.csv").read_bytes())
            snapshot = fetch(server.url("/export/pupils.csv"))
        assert len(snapshot.pupils) == 4


class CsvExportErrorTests:
    def test_a_missing_required_column_is_named(self, tmp_path):
        path = write_csv(tmp_path, ["Forename,Group,MIS id", "Amy,6P,1"])
        error = error_of(path)
        assert error.kind == "bad_format" and error.message == "The export has no Surname column"

    def test_neither_mis_id_nor_upn_is_refused(self, tmp_path):
        error = error_of(write_csv(tmp_path, ["Forename,Surname", "Amy,Patel"]))
        assert "MIS id (or UPN)" in error.message

    def test_a_bad_date_names_the_row_and_column(self, tmp_path):
        path = write_csv(tmp_path, [",".join(HEADER), "Amy,Patel,6P,1,,Y6,,", "Ben,Okafor,R,2,,R,31/02/2026,"])
        error = error_of(path)
        assert error.kind == "bad_format" and error.message.startswith("Row 3, column Start date:")

    def test_rows_are_numbered_as_in_the_file_even_below_blank_lines(self, tmp_path):
        path = write_csv(tmp_path, ["", ",".join(HEADER), "Amy,Patel,6P,1,,Y6,,", "", "Ben,,R,2,,R,,"])
        assert error_of(path).message == "Row 5, column Surname: enter a surname"

    def test_a_bad_upn_names_the_row(self, tmp_path):
        path = write_csv(tmp_path, [",".join(HEADER), "Amy,Patel,6P,1,A123,Y6,,"])
        assert error_of(path).message.startswith("Row 2, column UPN:")

    def test_an_unknown_year_group_names_the_row(self, tmp_path):
        path = write_csv(tmp_path, [",".join(HEADER), "Amy,Patel,6P,1,,Year 9,,"])
        assert error_of(path).message.startswith("Row 2, column Year group:")

    def test_a_missing_surname_names_the_row(self, tmp_path):
        path = write_csv(tmp_path, [",".join(HEADER), "Amy,,6P,1,,Y6,,"])
        assert error_of(path).message == "Row 2, column Surname: enter a surname"

    def test_an_empty_file_is_refused(self, tmp_path):
        assert "empty" in error_of(write_csv(tmp_path, [""])).message

    def test_an_old_xls_file_is_refused(self, tmp_path):
        path = tmp_path / "export.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
        error = error_of(path)
        assert error.kind == "bad_format" and ".xls" in error.message

    def test_a_missing_file_is_not_found(self, tmp_path):
        assert error_of(tmp_path / "nowhere.csv").kind == "not_found"

    def test_too_many_rows_are_refused(self, tmp_path, monkeypatch):
        from misync.connectors import csv_source

        monkeypatch.setattr(csv_source, "MAX_ROWS", 2)
        path = write_csv(tmp_path, [",".join(HEADER)] + [f"A,B,6P,{n},,Y6,," for n in range(3)])
        assert "more than 2 rows" in error_of(path).message


class XlsxExportTests:
    def test_it_reads_an_xlsx_export_with_real_dates_and_numbers(self, tmp_path):
        path = write_xlsx(
            tmp_path,
            [
                HEADER,
                ["Amy", "Patel", "Year 6 Pine", 5001, "J826200100001", 6, datetime(2019, 9, 3), "23/07/2026"],
            ],
        )
        amy = fetch(path).pupils[0]
        assert (amy.mis_id, amy.year_group, amy.start_date, amy.leave_date) == (
            "5001",
            "Y6",
            date(2019, 9, 3),
            date(2026, 7, 23),
        )

    def test_a_formula_cell_is_refused_not_evaluated(self, tmp_path):
        path = write_xlsx(tmp_path, [HEADER, ['=HYPERLINK("http://evil")', "Patel", "6P", 1, None, "Y6", None, None]])
        error = error_of(path)
        assert error.kind == "bad_format" and "formula" in error.message and "A2" in error.message

    def test_a_renamed_file_that_is_not_a_workbook_is_refused(self, tmp_path):
        path = tmp_path / "export.xlsx"
        path.write_bytes(b"PK\x03\x04 not really a zip")
        assert error_of(path).kind == "bad_format"

    def test_a_workbook_whose_sheet_is_damaged_is_refused(self, tmp_path):
        import zipfile

        good = write_xlsx(tmp_path, [HEADER, ["Amy", "Patel", "6P", 1, None, "Y6", None, None]])
        damaged = tmp_path / "damaged.xlsx"
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
            for item in source.infolist():
                content = source.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    content = content[: len(content) // 2]
                target.writestr(item, content)
        assert error_of(damaged).kind == "bad_format"

    def test_an_xlsx_without_its_extension_is_sniffed(self, tmp_path):
        path = write_xlsx(tmp_path, [HEADER, ["Amy", "Patel", "6P", 1, None, "Y6", None, None]], name="export")
        buffer = io.BytesIO(path.read_bytes())
        assert buffer.read(2) == b"PK"
        assert fetch(path).pupils[0].forename == "Amy"
