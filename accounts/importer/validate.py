"""Validation of read rows into a preview: every problem collected, nothing written.

The preview says, for each row, whether it will create a pupil (new), cannot be imported
(error) or looks like a pupil the school already has (duplicate: skipped unless the admin ticks
it). It reads the database with `.values()` only.
"""

import re
from dataclasses import dataclass, field

from django.db.models.functions import Lower

from accounts.credentials import USERNAME_RE, USERNAME_RULE, password_policy_errors, usernames_generate
from accounts.importer.reader import COLUMNS, ReadResult
from accounts.models import Group, GroupMembership, Role, School, Status, Theme, User, theme_for_year_group

NAME_MAX = 50
ADMISSION_MAX = 20
GROUP_NAME_MAX = 100

THEME_ALIASES = {
    "earlyyears": Theme.EARLY_YEARS, "early": Theme.EARLY_YEARS, "eyfs": Theme.EARLY_YEARS, "ey": Theme.EARLY_YEARS,
    "foundation": Theme.EARLY_YEARS, "reception": Theme.EARLY_YEARS, "nursery": Theme.EARLY_YEARS,
    "starter": Theme.STARTER, "ks1": Theme.STARTER, "keystage1": Theme.STARTER,
    "improver": Theme.IMPROVER, "ks2": Theme.IMPROVER, "keystage2": Theme.IMPROVER,
}
THEME_LABELS = [label for _, label in Theme.choices]

OUTCOME_NEW = "new"
OUTCOME_ERROR = "error"
OUTCOME_DUPLICATE = "duplicate"


def parse_theme(text: str) -> str | None:
    """'Early Years', 'early_years', 'EYFS' → early_years; None when not recognised."""
    return THEME_ALIASES.get(re.sub(r"[^a-z0-9]", "", text.lower()))


def year_group_from_name(name: str) -> str:
    """A class's year group guessed from its name, for classes the import creates ("Year 3 Oak" → Y3)."""
    text = name.lower()
    match = re.search(r"\b(?:year|yr|y)\s*([1-6])\b", text)
    if match:
        return f"Y{match.group(1)}"
    if re.search(r"\breception\b|\brec\b", text):
        return "R"
    if re.search(r"\bnursery\b", text):
        return "N2"
    return ""


@dataclass(frozen=True)
class Problem:
    row: int | None  # None for a file-level problem
    column: str  # the template's header, e.g. "Surname"; "" when about the whole file
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class PreviewRow:
    number: int
    forename: str
    surname: str
    group: str
    username: str
    username_generated: bool
    password: str  # typed by the admin; kept in memory only, never in ImportJob.rows
    admission_number: str
    theme: str  # canonical value, "" → follows the class's year group
    theme_label: str
    year_group: str
    outcome: str = OUTCOME_NEW
    problems: list[Problem] = field(default_factory=list)
    duplicate_reason: str = ""
    duplicate_tickable: bool = True

    @property
    def name(self) -> str:
        return f"{self.forename} {self.surname}".strip()

    def error(self, column_key: str, message: str) -> None:
        self.problems.append(Problem(row=self.number, column=COLUMNS.get(column_key, column_key), message=message))
        self.outcome = OUTCOME_ERROR

    def as_json(self) -> dict:
        """What ImportJob.rows stores: everything but the password."""
        return {
            "row": self.number,
            "forename": self.forename,
            "surname": self.surname,
            "group": self.group,
            "username": self.username,
            "username_generated": self.username_generated,
            "has_password": bool(self.password),
            "admission_number": self.admission_number,
            "theme": self.theme,
            "theme_label": self.theme_label,
            "year_group": self.year_group,
            "outcome": self.outcome,
            "problems": [p.as_dict() for p in self.problems],
            "duplicate_reason": self.duplicate_reason,
            "duplicate_tickable": self.duplicate_tickable,
        }


@dataclass
class ImportPreview:
    rows: list[PreviewRow]
    file_problems: list[Problem]
    warnings: list[str]
    missing_groups: list[str]  # classes the file names that the school does not have

    @property
    def problems(self) -> list[Problem]:
        return self.file_problems + [p for r in self.rows for p in r.problems]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def can_import(self) -> bool:
        return not self.problems and self.count(OUTCOME_NEW) + self.count(OUTCOME_DUPLICATE) > 0


def validate_rows(*, school: School, read: ReadResult, create_groups: bool = False) -> ImportPreview:
    """Check every row against the rules and the school's current accounts and classes."""
    file_problems = [Problem(row=None, column="", message=m) for m in read.file_errors]
    if not read.rows and not read.file_errors:
        file_problems.append(Problem(row=None, column="", message="The file has a header row but no pupils in it."))
    groups = {
        name.lower(): (name, year_group)
        for name, year_group in Group.objects.filter(school=school).values_list("name", "year_group")
    }
    rows = [_row(raw) for raw in read.rows]
    missing: dict[str, str] = {}

    for row, raw in zip(rows, read.rows):
        for key in raw.formulas:
            row.error(key, f"This cell holds a formula; type the {COLUMNS[key].lower()} itself instead")
        for key, label in (("forename", "forename"), ("surname", "surname")):
            value = getattr(row, key)
            if not value and key not in raw.formulas:
                row.error(key, f"Enter a {label}")
            elif len(value) > NAME_MAX:
                row.error(key, f"{label.capitalize()} must be {NAME_MAX} characters or fewer")
        if not row.group:
            if "group" not in raw.formulas:
                row.error("group", "Enter the pupil's class")
        elif row.group.lower() in groups:
            row.group, row.year_group = groups[row.group.lower()]
        elif len(row.group) > GROUP_NAME_MAX:
            row.error("group", f"A class name must be {GROUP_NAME_MAX} characters or fewer")
        elif create_groups:
            row.group = missing.setdefault(row.group.lower(), row.group)
            row.year_group = year_group_from_name(row.group)
        else:
            missing.setdefault(row.group.lower(), row.group)
            row.error("group", f"There is no class called “{row.group}”. Create it first, or tick “Create missing classes”")
        raw_theme = raw.values.get("theme", "")
        if raw_theme:
            theme = parse_theme(raw_theme)
            if theme is None:
                row.error("theme", f"Homepage theme must be one of {', '.join(THEME_LABELS)}")
            else:
                row.theme = theme
        effective = row.theme or theme_for_year_group(row.year_group)
        row.theme_label = Theme(effective).label
        if row.password:
            for message in password_policy_errors(school=school, password=row.password):
                row.error("password", message)
        if len(row.admission_number) > ADMISSION_MAX:
            row.error("admission_number", f"Admission number must be {ADMISSION_MAX} characters or fewer")

    _check_usernames(rows)
    _check_admission_numbers(school, rows)
    _flag_duplicates(school, rows)
    _generate_usernames(school, rows)
    return ImportPreview(
        rows=rows,
        file_problems=file_problems,
        warnings=list(read.warnings),
        missing_groups=sorted(missing.values(), key=str.lower),
    )


def _row(raw) -> PreviewRow:
    v = raw.values
    return PreviewRow(
        number=raw.number,
        forename=v.get("forename", ""),
        surname=v.get("surname", ""),
        group=v.get("group", ""),
        username=v.get("username", ""),
        username_generated=False,
        password=v.get("password", ""),
        admission_number=v.get("admission_number", ""),
        theme="",
        theme_label="",
        year_group="",
    )


def _check_usernames(rows: list[PreviewRow]) -> None:
    typed = [r for r in rows if r.username]
    seen: dict[str, int] = {}
    for row in typed:
        if not USERNAME_RE.match(row.username):
            row.error("username", f"Username must be {USERNAME_RULE}")
            continue
        key = row.username.lower()
        if key in seen:
            row.error("username", f"Username “{row.username}” is also in row {seen[key]}; each pupil needs their own")
        else:
            seen[key] = row.number
    taken = set()
    keys = sorted(seen)
    for start in range(0, len(keys), 500):
        taken.update(
            User.objects.annotate(lname=Lower("username"))
            .filter(lname__in=keys[start : start + 500])
            .values_list("lname", flat=True)
        )
    for row in typed:
        if row.username.lower() in taken and seen.get(row.username.lower()) == row.number:
            row.error("username", f"Username “{row.username}” is already taken; choose another or leave it blank")


def _check_admission_numbers(school: School, rows: list[PreviewRow]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        if not row.admission_number:
            continue
        if row.admission_number in seen:
            row.error(
                "admission_number",
                f"Admission number {row.admission_number} is also in row {seen[row.admission_number]}",
            )
        else:
            seen[row.admission_number] = row.number
    existing = {
        number: (first, last, role, status)
        for number, first, last, role, status in User.objects.filter(
            school=school, admission_number__in=list(seen)
        ).values_list("admission_number", "first_name", "last_name", "role", "status")
    }
    for row in rows:
        match = existing.get(row.admission_number) if seen.get(row.admission_number) == row.number else None
        if match is None:
            continue
        first, last, role, status = match
        if role == Role.PUPIL and status == Status.ACTIVE:
            if row.outcome != OUTCOME_ERROR:
                row.outcome = OUTCOME_DUPLICATE
                row.duplicate_reason = f"Same admission number as {first} {last}, who already has an account"
                # The database allows one account per admission number, so this row cannot be ticked.
                row.duplicate_tickable = False
        else:
            row.error("admission_number", f"Admission number {row.admission_number} already belongs to another account in the school")


def _flag_duplicates(school: School, rows: list[PreviewRow]) -> None:
    """Same forename, surname and class as an active pupil → a likely duplicate."""
    current = set()
    names = {r.surname.lower() for r in rows if r.surname}
    if names:
        memberships = GroupMembership.objects.filter(
            group__school=school,
            end_date__isnull=True,
            role="pupil",
            user__status=Status.ACTIVE,
            user__role=Role.PUPIL,
        ).values_list("user__first_name", "user__last_name", "group__name")
        for first, last, group in memberships:
            if last.lower() in names:
                current.add((first.lower(), last.lower(), group.lower()))
    for row in rows:
        if row.outcome != OUTCOME_NEW:
            continue
        if (row.forename.lower(), row.surname.lower(), row.group.lower()) in current:
            row.outcome = OUTCOME_DUPLICATE
            row.duplicate_reason = f"{row.name} is already an active pupil in {row.group}"


def _generate_usernames(school: School, rows: list[PreviewRow]) -> None:
    blank = [r for r in rows if not r.username and r.outcome != OUTCOME_ERROR and r.forename and r.surname]
    if not blank:
        return
    reserved = [r.username for r in rows if r.username]
    for row, username in zip(blank, usernames_generate(school=school, people=[(r.forename, r.surname) for r in blank], reserved=reserved)):
        row.username = username
        row.username_generated = True


