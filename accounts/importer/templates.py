"""The blank import template: an .xlsx with instructions and drop-downs, and a CSV."""

import csv
import io

from accounts.exports import neutralise
from accounts.importer.reader import COLUMNS
from accounts.models import Group, School, Theme

EXAMPLE = {
    "forename": "Zoë",
    "surname": "O'Brien",
    "group": "",
    "username": "",
    "password": "",
    "admission_number": "004321",
    "theme": "",
}
WIDTHS = {"forename": 18, "surname": 20, "group": 22, "username": 18, "password": 16, "admission_number": 18, "theme": 18}
DATA_ROWS = 5000

INSTRUCTIONS = [
    "How to fill in this template",
    "",
    "1. Put one new pupil on each row of the Pupils sheet, starting on row 3 (replace the example in row 2).",
    "2. Forename, Surname and Group are required. Group must be one of your school's classes: pick it from the drop-down.",
    "3. Leave Username blank to have one made for you (forename and surname initial, e.g. zoeo).",
    "   Usernames are 2 to 30 letters, digits, dots, dashes or underscores, and must not be in use already.",
    "4. Leave Password blank to have one made for you (a short word and two digits, e.g. tiger42).",
    "   Passwords you type must be at least 6 characters. They are shown to you once after the import and never stored.",
    "5. Admission number is optional; if given it must be unique in the school.",
    "6. Homepage theme is optional: Early Years, Starter or Improver. Blank means it follows the class's year group.",
    "7. Type values, not formulas: a cell with a formula is not imported.",
    "8. Save as .xlsx (Excel Workbook) or .csv and upload it on the Import page. You will see a preview before anything is created.",
]


def template_xlsx(*, school: School) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    groups = list(Group.objects.filter(school=school).order_by("name").values_list("name", flat=True))
    wb = Workbook()
    pupils = wb.active
    pupils.title = "Pupils"
    keys = list(COLUMNS)
    pupils.append([COLUMNS[k] for k in keys])
    example = dict(EXAMPLE, group=groups[0] if groups else "Year 3 Oak")
    pupils.append([neutralise(example[k]) for k in keys])
    for cell in pupils[1]:
        cell.font = Font(bold=True)
    pupils.freeze_panes = "A2"
    for index, key in enumerate(keys):
        pupils.column_dimensions[chr(ord("A") + index)].width = WIDTHS[key]
    # Admission numbers keep their leading zeros when the column is text.
    admission_col = chr(ord("A") + keys.index("admission_number"))
    for row in range(2, 52):
        pupils[f"{admission_col}{row}"].number_format = "@"

    lists = wb.create_sheet("Lists")
    for row, label in enumerate([label for _, label in Theme.choices], start=1):
        lists.cell(row=row, column=1, value=label)
    for row, name in enumerate(groups, start=1):
        lists.cell(row=row, column=2, value=neutralise(name))
    lists.sheet_state = "hidden"

    theme_col = chr(ord("A") + keys.index("theme"))
    themes = DataValidation(type="list", formula1=f"Lists!$A$1:$A${len(Theme.choices)}", allow_blank=True)
    themes.error = "Choose Early Years, Starter or Improver, or leave it blank"
    themes.errorTitle = "Homepage theme"
    themes.add(f"{theme_col}2:{theme_col}{DATA_ROWS + 1}")
    pupils.add_data_validation(themes)
    if groups:
        group_col = chr(ord("A") + keys.index("group"))
        classes = DataValidation(type="list", formula1=f"Lists!$B$1:$B${len(groups)}", allow_blank=True)
        classes.error = "Choose one of the school's classes"
        classes.errorTitle = "Group"
        classes.add(f"{group_col}2:{group_col}{DATA_ROWS + 1}")
        pupils.add_data_validation(classes)

    instructions = wb.create_sheet("Instructions", 0)
    for line in INSTRUCTIONS:
        instructions.append([line])
    instructions["A1"].font = Font(bold=True, size=14)
    instructions.column_dimensions["A"].width = 120
    for row in instructions.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)
    wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv(*, school: School) -> bytes:
    """UTF-8 with a byte-order mark so Excel on Windows shows accented names correctly."""
    group = Group.objects.filter(school=school).order_by("name").values_list("name", flat=True).first() or "Year 3 Oak"
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    keys = list(COLUMNS)
    writer.writerow([COLUMNS[k] for k in keys])
    writer.writerow([neutralise(dict(EXAMPLE, group=group)[k]) for k in keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def errors_xlsx(*, job, typed_passwords: dict[int, str]) -> bytes:
    """The uploaded rows back, with an Errors column, so the admin can fix them and upload again.

    Every cell is neutralised (a value starting with = + - @ gets an apostrophe) so nothing the
    file contained is run as a formula when it is opened.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Pupils"
    keys = list(COLUMNS)
    ws.append([COLUMNS[k] for k in keys] + ["Errors"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for problem in job.file_problems:
        ws.append([""] * len(keys) + [neutralise(problem["message"])])
    for row in job.rows:
        values = {
            "forename": row["forename"],
            "surname": row["surname"],
            "group": row["group"],
            "username": "" if row["username_generated"] else row["username"],
            "password": typed_passwords.get(row["row"], ""),
            "admission_number": row["admission_number"],
            "theme": row["theme_label"] if row["theme"] else "",
        }
        errors = "; ".join(f"{p['column']}: {p['message']}" for p in row["problems"])
        if not errors and row["outcome"] == "duplicate":
            errors = f"Likely duplicate: {row['duplicate_reason']}"
        ws.append([neutralise(values[k]) for k in keys] + [neutralise(errors)])
    for index, key in enumerate(keys):
        ws.column_dimensions[chr(ord("A") + index)].width = WIDTHS[key]
    ws.column_dimensions[chr(ord("A") + len(keys))].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
