"""Reading uploads: formats, encodings, delimiters, headers, limits and hostile files."""

import time
import tracemalloc

import pytest

from accounts.importer.reader import ImportFileError, read_upload

from .files import HEADER, OLE2, csv_bytes, ods_bytes, xlsm_bytes, xlsx_bytes, zip_bomb_bytes

ROWS = [
    ["Zoë", "O'Brien", "Year 3 Oak", "", "", "0042", "Improver"],
    ["Łukasz", "Nowak", "Year 3 Oak", "lnowak", "tiger42", "", ""],
]


def read(name, data, max_rows=5000, max_bytes=5 * 1024 * 1024):
    return read_upload(name=name, data=data, max_rows=max_rows, max_bytes=max_bytes)


class XlsxReaderTests:
    def test_it_reads_an_xlsx_into_trimmed_strings(self):
        result = read("pupils.xlsx", xlsx_bytes([["  Zoë ", " O'Brien", "Year 3 Oak", None, None, 42, "Starter"]]))
        assert result.file_errors == []
        assert result.columns == ["forename", "surname", "group", "username", "password", "admission_number", "theme"]
        (row,) = result.rows
        assert row.number == 2
        assert row.values["forename"] == "Zoë"
        assert row.values["surname"] == "O'Brien"
        assert row.values["admission_number"] == "42"
        assert row.values["username"] == ""

    def test_it_reads_the_pupils_sheet_after_an_instructions_sheet(self):
        result = read("pupils.xlsx", xlsx_bytes(ROWS, extra_sheets=["Instructions"]))
        assert [r.values["forename"] for r in result.rows] == ["Zoë", "Łukasz"]

    def test_a_formula_cell_is_reported_and_never_evaluated(self):
        result = read("pupils.xlsx", xlsx_bytes([["=HYPERLINK(\"http://x\",\"Zoe\")", "O'Brien", "Year 3 Oak"]]))
        (row,) = result.rows
        assert row.formulas == ("forename",)
        assert row.values["forename"] == ""

    def test_blank_rows_are_skipped_and_row_numbers_match_the_spreadsheet(self):
        result = read("pupils.xlsx", xlsx_bytes([ROWS[0], [None] * 7, ["", " ", ""], ROWS[1]]))
        assert [r.number for r in result.rows] == [2, 5]

    def test_a_file_with_only_headers_has_no_rows(self):
        result = read("pupils.xlsx", xlsx_bytes([]))
        assert result.rows == []
        assert result.file_errors == []

    def test_a_completely_empty_workbook_is_refused(self):
        with pytest.raises(ImportFileError, match="empty"):
            read("pupils.xlsx", xlsx_bytes([], header=None))

    def test_a_5001_row_file_is_refused_with_the_limit_named(self):
        rows = [[f"Pupil{i}", "Smith", "Year 3 Oak"] for i in range(5001)]
        result = read("big.xlsx", xlsx_bytes(rows))
        assert result.too_many_rows
        assert len(result.rows) == 5000
        assert any("more than 5,000" in e for e in result.file_errors)

    def test_a_5000_row_file_is_read_in_full(self):
        rows = [[f"Pupil{i}", "Smith", "Year 3 Oak"] for i in range(5000)]
        result = read("big.xlsx", xlsx_bytes(rows))
        assert not result.too_many_rows
        assert len(result.rows) == 5000


class HostileFileTests:
    def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_expanded(self):
        bomb = zip_bomb_bytes()
        assert len(bomb) < 1024 * 1024  # tiny on disk
        tracemalloc.start()
        start = time.perf_counter()
        with pytest.raises(ImportFileError, match="expands to far more data"):
            read("pupils.xlsx", bomb)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 20 * 1024 * 1024
        assert elapsed < 5

    def test_a_renamed_xls_is_refused_with_save_as_xlsx(self):
        with pytest.raises(ImportFileError, match=r"old Excel 97–2003 \(.xls\).*save it as .xlsx"):
            read("pupils.xlsx", OLE2)

    def test_an_xls_file_is_refused_with_save_as_xlsx(self):
        with pytest.raises(ImportFileError, match=r"save it as .xlsx"):
            read("pupils.xls", OLE2)

    def test_an_xlsm_is_refused(self):
        with pytest.raises(ImportFileError, match=r"\.xlsm.*save it as .xlsx"):
            read("pupils.xlsm", xlsm_bytes())

    def test_an_xlsm_renamed_to_xlsx_is_refused(self):
        with pytest.raises(ImportFileError, match=r"macros"):
            read("pupils.xlsx", xlsm_bytes())

    def test_an_ods_is_refused(self):
        with pytest.raises(ImportFileError, match=r"\.ods.*save it as .xlsx"):
            read("pupils.ods", ods_bytes())

    def test_an_ods_renamed_to_xlsx_is_refused(self):
        with pytest.raises(ImportFileError, match=r"OpenDocument"):
            read("pupils.xlsx", ods_bytes())

    def test_csv_text_named_xlsx_is_refused(self):
        with pytest.raises(ImportFileError, match=r"not an Excel workbook"):
            read("pupils.xlsx", csv_bytes(ROWS))

    def test_a_workbook_named_csv_is_refused(self):
        with pytest.raises(ImportFileError, match=r"not CSV text"):
            read("pupils.csv", xlsx_bytes(ROWS))

    def test_other_file_types_are_refused(self):
        with pytest.raises(ImportFileError, match=r"Only .xlsx and .csv"):
            read("pupils.pdf", b"%PDF-1.4")

    def test_a_file_over_the_size_limit_is_refused_before_parsing(self):
        with pytest.raises(ImportFileError, match=r"largest file you can import is 1 MB"):
            read("pupils.csv", b"x" * (1024 * 1024 + 1), max_bytes=1024 * 1024)

    def test_xml_entities_are_refused_by_defusedxml(self):
        from .files import zip_with

        evil = (
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&b;</Types>'
        )
        with pytest.raises(ImportFileError, match="damaged or is not an Excel workbook"):
            read("pupils.xlsx", zip_with({"[Content_Types].xml": evil}))


class CsvReaderTests:
    @pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("cp1252", False)])
    @pytest.mark.parametrize("delimiter", [",", ";", "\t"])
    def test_it_reads_each_encoding_and_delimiter(self, encoding, bom, delimiter):
        data = csv_bytes(ROWS, encoding=encoding, delimiter=delimiter, bom=bom) if encoding != "cp1252" else csv_bytes(
            [["Zoë", "O'Brien", "Year 3 Oak", "", "", "0042", "Improver"], ["Renée", "Dupré", "Year 3 Oak", "", "", "", ""]],
            encoding="cp1252",
            delimiter=delimiter,
        )
        result = read("pupils.csv", data)
        assert result.file_errors == []
        assert result.warnings == []
        assert result.rows[0].values["forename"] == "Zoë"
        assert result.rows[0].values["admission_number"] == "0042"  # leading zeros kept
        assert result.rows[1].values["forename"] in ("Łukasz", "Renée")
        if encoding == "cp1252":
            assert result.rows[1].values["surname"] == "Dupré"

    def test_headers_match_case_and_space_insensitively_with_aliases(self):
        header = ["FIRST NAME", "last_name", " Class ", "User Name", "Admission No", "theme"]
        result = read("pupils.csv", csv_bytes([["Zoë", "O'Brien", "Year 3 Oak", "", "7", "starter"]], header=header))
        assert result.columns == ["forename", "surname", "group", "username", "admission_number", "theme"]
        assert result.rows[0].values["group"] == "Year 3 Oak"
        assert result.file_errors == []

    def test_unknown_columns_are_listed_as_a_warning(self):
        header = HEADER[:3] + ["Date of birth", "Shoe size"]
        result = read("pupils.csv", csv_bytes([["Zoë", "O'Brien", "Year 3 Oak", "01/02/2019", "11"]], header=header))
        assert result.warnings == ["These columns were not recognised and will be ignored: “Date of birth”, “Shoe size”."]

    def test_a_missing_required_column_is_a_file_error(self):
        result = read("pupils.csv", csv_bytes([["Zoë", "Year 3 Oak"]], header=["Forename", "Class"]))
        assert result.file_errors == ["The file has no Surname column. Add a column headed “Surname”."]

    def test_a_csv_cell_starting_with_equals_is_treated_as_a_formula(self):
        result = read("pupils.csv", csv_bytes([["=1+1", "O'Brien", "Year 3 Oak"]], header=HEADER[:3]))
        assert result.rows[0].formulas == ("forename",)

    def test_a_headers_only_csv_has_no_rows(self):
        result = read("pupils.csv", csv_bytes([]))
        assert result.rows == [] and result.file_errors == []

    def test_an_empty_csv_is_refused(self):
        with pytest.raises(ImportFileError, match="empty"):
            read("pupils.csv", b"")
