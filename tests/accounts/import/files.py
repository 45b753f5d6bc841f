"""Real spreadsheet files built in the tests: xlsx with openpyxl, CSV in each encoding and delimiter."""

import csv
import io
import zipfile

from openpyxl import Workbook

HEADER = ["Forename", "Surname", "Group", "Username", "Password", "Admission number", "Homepage theme"]


def xlsx_bytes(rows, header=HEADER, *, title="Pupils", extra_sheets=()):
    wb = Workbook()
    for name in extra_sheets:
        wb.create_sheet(name, 0).append(["Instructions go here"])
    ws = wb["Sheet"] if "Sheet" in wb.sheetnames else wb.active
    ws.title = title
    if header is not None:
        ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, *, encoding="utf-8", delimiter=",", bom=False):
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def zip_bomb_bytes(size=200 * 1024 * 1024):
    """A tiny file named like an .xlsx whose one entry expands to `size` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                entry.write(chunk)
    return out.getvalue()


def zip_with(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def xlsm_bytes():
    """A workbook whose content types say macro-enabled, as Excel writes an .xlsm."""
    data = xlsx_bytes([["Zoë", "O'Brien", "Year 3 Oak"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {name: source.read(name) for name in source.namelist()}
    entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
    )
    return zip_with(entries)


def ods_bytes():
    return zip_with({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office:document-content/>"})
