"""Reading an uploaded spreadsheet into rows of plain, trimmed strings.

Nothing here touches the database. Files are checked before they are parsed: size, then for
.xlsx the zip container (entry count, total uncompressed size, compression ratio) so a zip bomb
is refused before openpyxl opens it, and the content type so a renamed .xls/.xlsm/.ods gets a
clear message. openpyxl reads in read-only mode (memory stays flat) and parses XML through
defusedxml; formulas are reported, never evaluated.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from defusedxml import ElementTree as SafeET

# Canonical column keys, in template order, with the header the template uses.
COLUMNS = {
    "forename": "Forename",
    "surname": "Surname",
    "group": "Group",
    "username": "Username",
    "password": "Password",
    "admission_number": "Admission number",
    "theme": "Homepage theme",
}
REQUIRED_COLUMNS = ("forename", "surname", "group")

# Header aliases, compared after lower-casing and dropping everything but letters and digits.
_ALIASES = {
    "forename": ["forename", "firstname", "first", "givenname", "preferredforename", "legalforename", "christianname"],
    "surname": ["surname", "lastname", "last", "familyname", "legalsurname"],
    "group": ["group", "class", "classname", "groupname", "form", "reg", "reggroup", "registrationgroup", "classgroup"],
    "username": ["username", "user", "login", "loginname", "userid"],
    "password": ["password", "pass", "pwd"],
    "admission_number": ["admissionnumber", "admissionno", "admno", "adno", "admission", "admissionnum"],
    "theme": ["homepagetheme", "theme", "hometheme"],
}
HEADER_ALIASES = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# Zip-bomb limits. A 5,000-row import sheet is well under 5 MB of XML.
ZIP_MAX_ENTRIES = 500
ZIP_MAX_TOTAL_BYTES = 100 * 1024 * 1024
ZIP_MAX_RATIO = 200  # uncompressed / compressed, for entries over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024

SAVE_AS = "Open it in your spreadsheet program and save it as .xlsx (Excel Workbook) or .csv, then upload it again."


class ImportFileError(Exception):
    """The file cannot be read at all; the message says why, in plain words, for the admin."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number the admin sees in their spreadsheet (header is row 1)
    values: dict[str, str]  # canonical column key → trimmed text
    formulas: tuple[str, ...] = ()  # canonical keys whose cell held a formula


@dataclass
class ReadResult:
    columns: list[str]  # canonical keys present, in file order
    rows: list[SheetRow]
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    too_many_rows: bool = False


def normalise_header(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def cell_text(value) -> str:
    """A cell's value as the text the admin typed: 1234.0 → "1234", dates as DD/MM/YYYY."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split()) if isinstance(value, str) else str(value).strip()


def read_upload(*, name: str, data: bytes, max_rows: int, max_bytes: int) -> ReadResult:
    """Read an uploaded file. Raises ImportFileError when the file cannot be used at all."""
    if len(data) > max_bytes:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest file you can import is "
            f"{max_bytes / 1024 / 1024:.0f} MB. Split it into smaller files."
        )
    if not data:
        raise ImportFileError("The file is empty.")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(OLE2_MAGIC):
        raise ImportFileError(f"This is an old Excel 97–2003 (.xls) file, which cannot be imported. {SAVE_AS}")
    if extension == "xlsx":
        if not data.startswith(ZIP_MAGIC):
            raise ImportFileError(f"This file is named .xlsx but is not an Excel workbook. {SAVE_AS}")
        return _read_xlsx(data, max_rows=max_rows)
    if extension in ("csv", "txt"):
        if data.startswith(ZIP_MAGIC):
            raise ImportFileError(f"This file is named .{extension} but is a spreadsheet workbook, not CSV text. {SAVE_AS}")
        return _read_csv(data, max_rows=max_rows)
    if extension in ("xls", "xlsm", "xlsb", "xltx", "xltm", "ods", "numbers"):
        raise ImportFileError(f"Files of type .{extension} cannot be imported. {SAVE_AS}")
    raise ImportFileError(f"Only .xlsx and .csv files can be imported. {SAVE_AS}")


# --- xlsx ---------------------------------------------------------------------------------


def check_zip(data: bytes) -> None:
    """Refuse zip bombs and anything that is not a plain .xlsx workbook, before openpyxl opens it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError(f"This file is damaged or is not an Excel workbook. {SAVE_AS}") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > ZIP_MAX_ENTRIES:
            raise ImportFileError("This file has too many parts to be a pupil spreadsheet, so it was not opened.")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > ZIP_RATIO_FLOOR and ratio > ZIP_MAX_RATIO:
                raise ImportFileError("This file expands to far more data than a pupil spreadsheet holds, so it was not opened.")
        if total > ZIP_MAX_TOTAL_BYTES:
            raise ImportFileError("This file expands to far more data than a pupil spreadsheet holds, so it was not opened.")
        names = set(archive.namelist())
        if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:200]:
            raise ImportFileError(f"This is an OpenDocument (.ods) spreadsheet renamed to .xlsx. {SAVE_AS}")
        if "[Content_Types].xml" not in names:
            raise ImportFileError(f"This file is not an Excel workbook. {SAVE_AS}")
        try:
            root = SafeET.fromstring(archive.read("[Content_Types].xml"))
        except Exception:
            raise ImportFileError(f"This file is damaged or is not an Excel workbook. {SAVE_AS}") from None
        types = {el.get("ContentType", "") for el in root}
        if any("macroEnabled" in t for t in types):
            raise ImportFileError(f"This workbook contains macros (.xlsm), which cannot be imported. {SAVE_AS}")
        if not any(t.endswith("spreadsheetml.sheet.main+xml") for t in types):
            raise ImportFileError(f"This file is not an Excel workbook. {SAVE_AS}")


def _read_xlsx(data: bytes, *, max_rows: int) -> ReadResult:
    check_zip(data)
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # openpyxl only uses defusedxml when it is importable
        raise ImportFileError("Spreadsheet reading is not available on this server (defusedxml is missing).")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:
        raise ImportFileError(f"This workbook could not be opened; it may be damaged. {SAVE_AS}") from None
    try:
        ws = _data_sheet(wb)

        def cells():
            for row in ws.iter_rows():
                yield [(cell.value, getattr(cell, "data_type", None) == "f") for cell in row]

        return _collect(cells(), max_rows=max_rows)
    finally:
        wb.close()


def _data_sheet(wb):
    """The first sheet that is not the template's instructions sheet."""
    for ws in wb.worksheets:
        if ws.title.strip().lower() not in ("instructions", "read me", "readme", "lists"):
            return ws
    return wb.worksheets[0]


# --- csv ----------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark, else Windows-1252 (Excel's "CSV" on UK Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever splits the header line into the most columns."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, *, max_rows: int) -> ReadResult:
    text = decode_csv(data)
    if "\x00" in text:
        raise ImportFileError(f"This file is not CSV text. {SAVE_AS}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))

    def cells():
        try:
            for row in reader:
                yield [(value, value.lstrip().startswith("=")) for value in row]
        except csv.Error:
            raise ImportFileError(f"This CSV file could not be read (a quote may not be closed). {SAVE_AS}") from None

    return _collect(cells(), max_rows=max_rows)


# --- shared -------------------------------------------------------------------------------


def _collect(rows, *, max_rows: int) -> ReadResult:
    """Map the header row to canonical keys, then gather non-blank data rows (at most max_rows)."""
    header = None
    header_number = 0
    for number, row in enumerate(rows, start=1):
        if any(cell_text(value) for value, _ in row):
            header, header_number = [cell_text(value) for value, _ in row], number
            break
    if header is None:
        raise ImportFileError("The file is empty: there is no header row and there are no pupils in it.")
    result = ReadResult(columns=[], rows=[])
    positions: dict[str, int] = {}
    unknown = []
    for index, title in enumerate(header):
        if not title:
            continue
        key = HEADER_ALIASES.get(normalise_header(title))
        if key is None:
            unknown.append(title)
        elif key in positions:
            result.warnings.append(f"The column “{title}” appears twice; only the first one was read.")
        else:
            positions[key] = index
            result.columns.append(key)
    if unknown:
        result.warnings.append("These columns were not recognised and will be ignored: " + ", ".join(f"“{u}”" for u in unknown) + ".")
    for key in REQUIRED_COLUMNS:
        if key not in positions:
            result.file_errors.append(f"The file has no {COLUMNS[key]} column. Add a column headed “{COLUMNS[key]}”.")
    for number, row in enumerate(rows, start=header_number + 1):
        values, formulas = {}, []
        for key, index in positions.items():
            value, is_formula = row[index] if index < len(row) else (None, False)
            if is_formula:
                formulas.append(key)
                values[key] = ""
            else:
                values[key] = cell_text(value)
        if not any(values.values()) and not formulas:
            continue  # blank rows are skipped
        if len(result.rows) >= max_rows:
            result.too_many_rows = True
            result.file_errors.append(
                f"The file has more than {max_rows:,} pupils; the most you can import at once is {max_rows:,}. Split it into smaller files."
            )
            break
        result.rows.append(SheetRow(number=number, values=values, formulas=tuple(formulas)))
    return result
