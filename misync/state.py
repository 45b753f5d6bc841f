"""The school's current state as the planner sees it: plain frozen dataclasses, no ORM.

`misync.selectors.load_school_state` fills these with `.values()` queries; the planner only
reads them. `fingerprint` identifies a state so a held plan is applied only to the state it
was planned against.
"""

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import date


@dataclass(frozen=True)
class StatePupil:
    id: int
    username: str
    first_name: str
    last_name: str
    status: str  # "active" / "leaver"
    mis_id: str | None = None
    upn: str | None = None
    admission_number: str | None = None
    year_group: str = ""
    theme: str = "improver"
    theme_pinned: bool = False
    date_of_birth: date | None = None
    leave_date: date | None = None
    group_id: int | None = None  # current class


@dataclass(frozen=True)
class StateGroup:
    id: int
    name: str
    mis_id: str | None = None
    mis_managed: bool = False
    year_group: str = ""


@dataclass(frozen=True)
class StateStaff:
    id: int
    username: str
    first_name: str
    last_name: str
    status: str
    mis_id: str | None = None
    email: str = ""
    group_ids: tuple[int, ...] = ()  # classes attached to as a teacher


@dataclass(frozen=True)
class Thresholds:
    percent: int = 10
    count: int = 50


@dataclass(frozen=True)
class SchoolState:
    school_id: int
    pupils: tuple[StatePupil, ...] = ()
    groups: tuple[StateGroup, ...] = ()
    staff: tuple[StateStaff, ...] = ()

    @property
    def fingerprint(self) -> str:
        rows = (
            [["p", *_values(p)] for p in sorted(self.pupils, key=lambda p: p.id)]
            + [["g", *_values(g)] for g in sorted(self.groups, key=lambda g: g.id)]
            + [["s", *_values(s)] for s in sorted(self.staff, key=lambda s: s.id)]
        )
        return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _values(row) -> list:
    """The row's field values in order: what `dataclasses.astuple` gives for these flat rows (their
    only container, `group_ids`, is a tuple of ints), without its deep copy, which took most of the
    fingerprint's time at 1,000 pupils."""
    names = _FIELD_NAMES.get(type(row))
    if names is None:
        names = _FIELD_NAMES[type(row)] = tuple(f.name for f in fields(row))
    return [getattr(row, name) for name in names]
