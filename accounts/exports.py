"""Helpers for spreadsheets and CSV files the product writes."""

# Cells that a spreadsheet program would treat as a formula or a control sequence.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(value):
    """Make a value safe to put in an exported spreadsheet or CSV cell.

    A text cell starting with = + - @, tab, carriage return or NUL gets a leading apostrophe
    so Excel and LibreOffice show it as text instead of running it (CSV/formula injection).
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value
