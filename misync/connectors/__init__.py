"""MIS connectors; each module registers itself with misync.connectors.base.register."""

from misync.connectors import csv_source, oneroster, wonde, xporter  # noqa: F401
