"""Helpers for spreadsheets and CSV files the product writes."""

import re

# Cells that a spreadsheet program would treat as a formula or a control sequence.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
# Control characters no spreadsheet cell can hold (XML 1.0 forbids them; openpyxl raises on
# them, which would turn a pupil name with a stray NUL into a failed download).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """Make a value safe to put in an exported spreadsheet or CSV cell.

    Unprintable control characters (NUL and friends) are dropped; then a text cell starting
    with = + - @, tab or carriage return gets a leading apostrophe so Excel and LibreOffice
    show it as text instead of running it (CSV/formula injection).
    """
    if isinstance(value, str):
        value = _UNPRINTABLE.sub("", value)
        if value.startswith(DANGEROUS_PREFIXES):
            return "'" + value
    return value
