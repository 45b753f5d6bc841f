"""A plain CSV or XLSX pupil export (DESIGN §4 and §7).

Config: `base_url` is a file path or an http(s) URL ending .csv or .xlsx (other names are
sniffed: a zip is read as .xlsx); `school_ref` is only echoed into the snapshot.

Columns are the spreadsheet import's (Forename, Surname, Group, Username, Password,
Admission number, Homepage theme) plus "MIS id", "UPN", "Year group", "Start date",
"Leave date" (and optionally "Date of birth"), matched case- and space-insensitively with
common aliases. Forename, Surname and one of MIS id or UPN are required; a row without an
MIS id uses its UPN as one. Classes have no ids in such a file, so a class's name is its id.
Username, Password and Homepage theme are ignored: the sync makes its own usernames.

Dates are ISO or UK day/month/year. Every bad value stops the read with a message naming the
row and column, because the office can fix a file (unlike an API). Cells are data: a formula
cell in an .xlsx is refused, never evaluated; .xls is refused.
"""

import csv
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl

from misync import normalise
from misync.connectors.base import Connector, SourceError, register
from misync.connectors.common import finish_snapshot
from misync.connectors.http import HttpClient
from misync.snapshot import SnapshotGroup, SnapshotPupil

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000

COLUMNS = {
    "forename": ("forename", "first name", "firstname", "given name", "first names"),
    "surname": ("surname", "last name", "lastname", "family name"),
    "group": ("group", "class", "class name", "form", "reg group", "registration group"),
    "admission_number": ("admission number", "admission no", "adno", "admission"),
    "mis_id": ("mis id", "misid", "mis identifier", "pupil id", "external id"),
    "upn": ("upn", "unique pupil number"),
    "year_group": ("year group", "year", "nc year"),
    "start_date": ("start date", "entry date", "admission date", "date of admission"),
    "leave_date": ("leave date", "leaving date", "date of leaving"),
    "date_of_birth": ("date of birth", "dob", "birth date"),
}
LABELS = {
    "forename": "Forename",
    "surname": "Surname",
    "group": "Group",
    "admission_number": "Admission number",
    "mis_id": "MIS id",
    "upn": "UPN",
    "year_group": "Year group",
    "start_date": "Start date",
    "leave_date": "Leave date",
    "date_of_birth": "Date of birth",
}


def _key(header) -> str:
    return re.sub(r"[\s_\-.]+", " ", str(header or "")).strip().lower()


_ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}


@register
class CsvConnector(Connector):
    name = "csv"

    def fetch(self):
        location = (self.config.base_url or "").strip()
        if not location:
            raise SourceError("No export file is set", kind="config")
        data, filename = self._load(location)
        return self.read(data, filename=filename)

    def _load(self, location: str) -> tuple[bytes, str]:
        if location.startswith(("http://", "https://")):
            with HttpClient(self.config) as http:
                return http.download(location, limit=MAX_FILE_BYTES), urlsplit(location).path
        path = Path(location)
        if not path.is_file():
            raise SourceError(f"There is no export file at {location}", kind="not_found")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SourceError(f"{path.name} is larger than 20 MB", kind="bad_format")
        return path.read_bytes(), path.name

    def read(self, data: bytes, *, filename: str = ""):
        suffix = Path(filename).suffix.lower()
        if suffix == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise SourceError(
                "Old Excel .xls files cannot be read; save the export as .xlsx or .csv", kind="bad_format"
            )
        if suffix == ".xlsx" or (suffix != ".csv" and data[:2] == b"PK"):
            rows = _xlsx_rows(data)
        else:
            rows = _csv_rows(data)
        return self._snapshot(rows)

    def _snapshot(self, rows):
        rows = enumerate(rows, start=1)  # numbered as the office sees them in Excel
        header, header_number = None, 0
        for header_number, header_row in rows:
            if any(cell not in (None, "") for cell in header_row):
                header = header_row
                break
        if header is None:
            raise SourceError("The export is empty: it has no header row", kind="bad_format")
        columns: dict[str, int] = {}
        for index, cell in enumerate(header):
            field = _ALIASES.get(_key(cell))
            if field and field not in columns:
                columns[field] = index
        missing = [LABELS[f] for f in ("forename", "surname") if f not in columns]
        if "mis_id" not in columns and "upn" not in columns:
            missing.append("MIS id (or UPN)")
        if missing:
            raise SourceError(f"The export has no {' or '.join(missing)} column", kind="bad_format")

        pupils, groups = [], {}
        for number, values in rows:
            if number - header_number > MAX_ROWS:
                raise SourceError(f"The export has more than {MAX_ROWS} rows", kind="bad_format")
            cell = {field: (values[index] if index < len(values) else None) for field, index in columns.items()}
            if all(value in (None, "") for value in cell.values()):
                continue
            pupils.append(self._pupil(cell, number, groups))
        return finish_snapshot(
            source=self.name,
            school_ref=normalise.clean(self.config.school_ref) or "",
            as_of=None,
            groups=list(groups.values()),
            pupils=pupils,
            staff=[],
            warnings=[],
        )

    def _pupil(self, cell: dict, number: int, groups: dict) -> SnapshotPupil:
        def fail(field, message):
            raise SourceError(f"Row {number}, column {LABELS[field]}: {message}", kind="bad_format")

        forename, surname = normalise.name(cell.get("forename")), normalise.name(cell.get("surname"))
        if not forename:
            fail("forename", "enter a forename")
        if not surname:
            fail("surname", "enter a surname")
        raw_upn = cell.get("upn")
        upn = normalise.valid_upn(raw_upn)
        if normalise.clean(raw_upn) and upn is None:
            fail("upn", f"{normalise.clean(raw_upn)!r} is not a valid UPN")
        mis_id = normalise.identifier(cell.get("mis_id")) or upn
        if mis_id is None:
            fail("mis_id", "enter the pupil's MIS id (or a UPN)")
        raw_year = normalise.clean(cell.get("year_group"))
        year_group = normalise.year_group(raw_year)
        if raw_year and not year_group:
            fail("year_group", f"{raw_year!r} is not a primary year group (for example Reception or Year 5)")
        dates = {}
        for field in ("start_date", "leave_date", "date_of_birth"):
            try:
                dates[field] = normalise.parse_date(cell.get(field))
            except ValueError as exc:
                fail(field, str(exc))
        group_name = normalise.clean(cell.get("group"))
        if group_name and group_name.lower() not in groups:
            groups[group_name.lower()] = SnapshotGroup(mis_id=group_name, name=group_name)
        return SnapshotPupil(
            mis_id=mis_id,
            forename=forename,
            surname=surname,
            upn=upn,
            admission_number=normalise.identifier(cell.get("admission_number")),
            year_group=year_group,
            group_mis_id=groups[group_name.lower()].mis_id if group_name else None,
            **dates,
        )


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the UK code page.
        text = data.decode("cp1252", errors="replace")
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceError(f"The file could not be read as CSV: {exc}", kind="bad_format") from exc


def _xlsx_rows(data: bytes):
    # A damaged or renamed file fails inside zipfile or the XML parser, when opened or later
    # while its rows are read (read-only mode is lazy), so both are guarded.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:
        raise SourceError("The file is not a readable .xlsx workbook", kind="bad_format") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS + 1:
                raise SourceError(f"The export has more than {MAX_ROWS} rows", kind="bad_format")
            values = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    raise SourceError(
                        f"Row {number} holds a formula ({cell.coordinate}); paste the values only and try again",
                        kind="bad_format",
                    )
                values.append(cell.value)
            rows.append(values)
        return rows
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError("The workbook's first sheet could not be read", kind="bad_format") from exc
    finally:
        workbook.close()
