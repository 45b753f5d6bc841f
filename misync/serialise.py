"""Snapshots to and from JSON, so a held run can be re-planned when it is approved."""

from dataclasses import asdict
from datetime import date, datetime

from misync.snapshot import Snapshot, SnapshotGroup, SnapshotPupil, SnapshotStaff

_PUPIL_DATES = ("start_date", "leave_date", "date_of_birth")


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot_to_json(snapshot: Snapshot) -> dict:
    return _plain(asdict(snapshot))


def snapshot_from_json(data: dict) -> Snapshot:
    def pupil(row):
        row = dict(row)
        for name in _PUPIL_DATES:
            row[name] = date.fromisoformat(row[name]) if row.get(name) else None
        return SnapshotPupil(**row)

    def staff(row):
        return SnapshotStaff(**{**row, "group_mis_ids": tuple(row.get("group_mis_ids") or ())})

    return Snapshot(
        source=data["source"],
        school_ref=data["school_ref"],
        as_of=datetime.fromisoformat(data["as_of"]) if data.get("as_of") else None,
        groups=tuple(SnapshotGroup(**g) for g in data.get("groups", ())),
        pupils=tuple(pupil(p) for p in data.get("pupils", ())),
        staff=tuple(staff(s) for s in data.get("staff", ())),
        complete=data.get("complete", True),
        deleted_pupil_ids=tuple(data.get("deleted_pupil_ids", ())),
        deleted_staff_ids=tuple(data.get("deleted_staff_ids", ())),
        deleted_group_ids=tuple(data.get("deleted_group_ids", ())),
        warnings=tuple(data.get("warnings", ())),
    )
