"""One normalised, in-memory picture of a school's MIS export (DESIGN §7).

Every connector (Xporter, Wonde, OneRoster CSV, plain CSV/XLSX) turns its source into a
`Snapshot` of these plain frozen dataclasses; the planner reads nothing else. No ORM here.

Conventions every connector follows:
- strings are stripped and internal whitespace collapsed; empty optional values are None;
- `year_group` is one of accounts.models.YEAR_GROUPS ("N1" … "Y6") or "" when unknown;
- dates are `datetime.date` in the school's calendar; `as_of` is an aware datetime or None;
- a pupil's class is `group_mis_id` (one registration group); staff list theirs in `group_mis_ids`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SnapshotGroup:
    mis_id: str
    name: str
    code: str = ""
    year_group: str = ""


@dataclass(frozen=True)
class SnapshotPupil:
    mis_id: str
    forename: str
    surname: str
    upn: str | None = None
    admission_number: str | None = None
    year_group: str = ""
    group_mis_id: str | None = None
    start_date: date | None = None
    leave_date: date | None = None
    date_of_birth: date | None = None
    # False for pre-admissions and for leavers the source lists explicitly.
    on_roll: bool = True
    # A stable id that survives re-admission where the source has one (Wonde `upi`).
    stable_id: str | None = None


@dataclass(frozen=True)
class SnapshotStaff:
    mis_id: str
    forename: str
    surname: str
    title: str = ""
    email: str | None = None
    is_teacher: bool = True
    group_mis_ids: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class Snapshot:
    source: str  # connector name: "xporter", "wonde", "oneroster", "csv"
    school_ref: str  # estab / school id / org sourcedId as the source names the school
    as_of: datetime | None  # when the MIS data was extracted, by the source's own clock
    groups: tuple[SnapshotGroup, ...] = ()
    pupils: tuple[SnapshotPupil, ...] = ()
    staff: tuple[SnapshotStaff, ...] = ()
    # False for a delta (e.g. a OneRoster delta bundle): people absent from it are unchanged,
    # never "vanished". Explicit deletions in a delta are listed below.
    complete: bool = True
    deleted_pupil_ids: tuple[str, ...] = ()
    deleted_staff_ids: tuple[str, ...] = ()
    deleted_group_ids: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
