"""A test connector registered as "static" (the outside edge for the sync tests) and its fixtures.

Tests put a Snapshot (or a SourceError to raise) in `StaticConnector.next`; `fetch()` returns
or raises it. `StaticConnector.gate`, when set, is a threading.Event that fetch waits on, so a
concurrency test can hold one run in the middle of its work.
"""

import threading
from datetime import date, datetime, timezone

import pytest

from misync.connectors.base import Connector, SourceError, register
from misync.models import MisConnection
from misync.snapshot import Snapshot, SnapshotGroup, SnapshotPupil, SnapshotStaff


@register
class StaticConnector(Connector):
    name = "static"
    next: Snapshot | SourceError | None = None
    gate: threading.Event | None = None
    fetched = 0

    def fetch(self) -> Snapshot:
        type(self).fetched += 1
        if type(self).gate is not None:
            type(self).gate.wait(timeout=20)
        value = type(self).next
        if isinstance(value, Exception):
            raise value
        if value is None:
            raise SourceError("Nothing to read", kind="config")
        return value


def upn(n: int) -> str:
    from accounts.models import upn_check_letter

    body = f"{826200100000 + n:012d}"
    return upn_check_letter(body) + body


def pupil(mis_id, forename, surname, group="G3", year="Y3", **extra) -> SnapshotPupil:
    return SnapshotPupil(
        mis_id=mis_id, forename=forename, surname=surname, group_mis_id=group, year_group=year, **extra
    )


GROUPS = (
    SnapshotGroup(mis_id="G3", name="3 Oak", year_group="Y3"),
    SnapshotGroup(mis_id="G4", name="4 Oak", year_group="Y4"),
    SnapshotGroup(mis_id="G6", name="6 Pine", year_group="Y6"),
    SnapshotGroup(mis_id="GR", name="Reception Robins", year_group="R"),
)


def snapshot(pupils=(), groups=GROUPS, staff=(), complete=True, **extra) -> Snapshot:
    return Snapshot(
        source="static",
        school_ref="1234",
        as_of=datetime(2026, 7, 20, 18, 0, tzinfo=timezone.utc),
        groups=tuple(groups),
        pupils=tuple(pupils),
        staff=tuple(staff),
        complete=complete,
        **extra,
    )


def teacher(mis_id, forename, surname, groups=(), **extra) -> SnapshotStaff:
    return SnapshotStaff(mis_id=mis_id, forename=forename, surname=surname, group_mis_ids=tuple(groups), **extra)


def filler(n: int, group="G3", year="Y3", start=0):
    """n ordinary on-roll pupils."""
    return [
        pupil(f"P{start + i:04d}", f"Child{start + i}", "Filler", group=group, year=year, start_date=date(2025, 9, 3))
        for i in range(n)
    ]


# Fixtures, imported by each test module (kept out of conftest.py so part A can have its own).


@pytest.fixture(autouse=True)
def static_source():
    """Reset the static test connector around every test."""
    StaticConnector.next = None
    StaticConnector.gate = None
    StaticConnector.fetched = 0
    yield StaticConnector
    StaticConnector.next = None
    StaticConnector.gate = None


@pytest.fixture
def connected(people):
    """School A reads its MIS through the static test connector."""
    MisConnection.objects.create(school=people.school_a, connector="static", enabled=True, school_ref="1234")
    return people
