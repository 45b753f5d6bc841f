"""Turning values as an MIS writes them into the snapshot's conventions (misync.snapshot).

Every function here is pure and forgiving about *shape* (None, numbers, stray whitespace) but
strict about *meaning*: a date that cannot be read raises ValueError so the connector can say
which record and field it was, rather than guessing.
"""

import re
import zoneinfo
from datetime import date, datetime, time

from accounts.models import normalise_upn, validate_upn

UK = zoneinfo.ZoneInfo("Europe/London")

_SPACES = re.compile(r"\s+")


def clean(value) -> str | None:
    """Strip and collapse internal whitespace; empty → None. Numbers become their text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def name(value) -> str:
    """A forename or surname as written, whitespace collapsed; missing → ""."""
    return clean(value) or ""


# --- Year groups ----------------------------------------------------------------------------

_RECEPTION = {"R", "REC", "RECEPTION", "YR", "YEAR R", "Y R", "FS2", "F2", "FOUNDATION 2", "FOUNDATION STAGE 2"}
_NURSERY_2 = {"N2", "NURSERY 2", "YEAR N2", "Y N2", "FS1", "F1", "FOUNDATION 1", "FOUNDATION STAGE 1", "NURSERY"}
_NURSERY_1 = {"N1", "NURSERY 1", "YEAR N1", "Y N1"}
_NUMBERED = re.compile(r"^(?:YEAR|YR|Y)?\s*(-?\d{1,2})$")


def year_group(value) -> str:
    """A year-group label → one of accounts.models.YEAR_GROUPS, or "" when it is not a primary year.

    Accepts "Year 5", "Y5", "5", "05", "Year  5 ", "NC Year 5", "Reception"/"Rec"/"R"/"YR"/"FS2",
    "FS1"/"Nursery 2"/"N2", "N1"/"Nursery 1". National Curriculum year 0 is Reception and -1/-2
    are the two nursery years, as some MIS write them. Year 7 and above, and anything
    unrecognised, give "".
    """
    text = clean(value)
    if text is None:
        return ""
    text = text.upper().replace(".", "")
    for prefix in ("NATIONAL CURRICULUM ", "NC "):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.startswith("NC") and text[2:].strip().isdigit():
        text = text[2:].strip()
    if text in _RECEPTION:
        return "R"
    if text in _NURSERY_2:
        return "N2"
    if text in _NURSERY_1:
        return "N1"
    match = _NUMBERED.match(text)
    if match:
        number = int(match.group(1))
        if 1 <= number <= 6:
            return f"Y{number}"
        return {0: "R", -1: "N2", -2: "N1"}.get(number, "")
    return ""


def year_group_from_grade(value) -> str:
    """A OneRoster `grades` value → year group. UK bundles write National Curriculum years
    ("05", "5", "Y5"); the CEDS codes "KG" (reception age) and "PK" (nursery) are also read."""
    text = clean(value)
    if text is None:
        return ""
    first = text.split(",")[0].strip().upper()
    if first in ("KG", "TK"):
        return "R"
    if first == "PK":
        return "N2"
    if first in ("PR", "IT"):
        return "N1"
    return year_group(first)


# --- Identifiers ------------------------------------------------------------------------------


def upn(value) -> str | None:
    """Upper-cased, spaces removed; None when empty. Does not validate (see `valid_upn`)."""
    text = clean(value)
    return normalise_upn(text) if text else None


def valid_upn(value) -> str | None:
    """The normalised UPN when it is a valid DfE UPN (length, format, check letter), else None."""
    text = upn(value)
    if text is None:
        return None
    try:
        validate_upn(text)
    except Exception:  # noqa: BLE001 - ValidationError; a bad UPN is simply not usable for matching
        return None
    return text


def identifier(value) -> str | None:
    """An id as text (MIS ids arrive as numbers or strings); None when empty."""
    return clean(value)


# --- Dates -------------------------------------------------------------------------------------

_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(value) -> date | None:
    """ISO date "2026-07-23", ISO datetime "2018-06-24T00:00:00" (with or without zone or
    fraction), Wonde's {"date": "2023-09-30 05:06:45.000000", ...}, or UK "23/07/2026".
    Empty → None; anything else → ValueError."""
    if value is None:
        return None
    if isinstance(value, dict):
        return parse_date(value.get("date"))
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    if text is None:
        return None
    match = _UK_DATE.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    try:
        return datetime.fromisoformat(_trim_fraction(text.replace("Z", "+00:00"))).date()
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date (expected e.g. 2026-07-23 or 23/07/2026)")


def parse_as_of(value, *, default_tz=UK) -> datetime | None:
    """An aware datetime for "when the MIS data was extracted". Naive values are read in
    `default_tz` (UK middleware writes local time). Empty or unreadable → None: a missing
    extraction time must not fail a sync, it only disables the staleness check."""
    if value is None:
        return None
    if isinstance(value, dict):
        tz_name = value.get("timezone")
        try:
            tz = zoneinfo.ZoneInfo(tz_name) if isinstance(tz_name, str) and tz_name else default_tz
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = default_tz
        return parse_as_of(value.get("date"), default_tz=tz)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = clean(value)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(_trim_fraction(text.replace("Z", "+00:00")))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed


_FRACTION = re.compile(r"\.(\d{6})\d+")


def _trim_fraction(text: str) -> str:
    # .NET writes seven fractional digits ("26.1852229Z"); older Pythons accept at most six.
    return _FRACTION.sub(r".\1", text)


def parse_bool(value, *, default: bool) -> bool:
    """1/0, true/false, yes/no, as text or numbers; empty → default."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    text = (clean(value) or "").lower()
    if text in ("1", "true", "yes", "y", "t"):
        return True
    if text in ("0", "false", "no", "n", "f"):
        return False
    return default
