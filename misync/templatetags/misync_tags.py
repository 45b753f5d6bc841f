from datetime import date

from django import template

register = template.Library()


@register.filter
def uk_date(value):
    """'2026-07-23' (as plans store dates) → '23/07/2026'; anything else unchanged."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value
