"""What every connector does last: de-duplicate, give classes a year group, build the Snapshot."""

from collections import Counter
from dataclasses import replace

from misync.snapshot import Snapshot, SnapshotGroup, SnapshotPupil, SnapshotStaff


def finish_snapshot(
    *,
    source: str,
    school_ref: str,
    as_of,
    groups: list[SnapshotGroup],
    pupils: list[SnapshotPupil],
    staff: list[SnapshotStaff],
    warnings: list[str],
    complete: bool = True,
    deleted_pupil_ids=(),
    deleted_staff_ids=(),
    deleted_group_ids=(),
) -> Snapshot:
    warnings = list(warnings)
    pupils = _unique(pupils, "pupil", warnings)
    staff = _unique(staff, "staff member", warnings)
    groups = _unique(groups, "class", warnings)

    # A class without its own year group takes the one most of its pupils are in.
    by_group: dict[str, Counter] = {}
    for pupil in pupils:
        if pupil.group_mis_id and pupil.year_group:
            by_group.setdefault(pupil.group_mis_id, Counter())[pupil.year_group] += 1
    groups = [
        replace(group, year_group=by_group[group.mis_id].most_common(1)[0][0])
        if not group.year_group and group.mis_id in by_group
        else group
        for group in groups
    ]
    known_groups = {group.mis_id for group in groups}
    missing = sorted({p.group_mis_id for p in pupils if p.group_mis_id and p.group_mis_id not in known_groups})
    if missing:
        warnings.append(
            f"{len(missing)} class id(s) used by pupils are not in the class list: {', '.join(missing[:10])}"
        )

    return Snapshot(
        source=source,
        school_ref=school_ref,
        as_of=as_of,
        groups=tuple(groups),
        pupils=tuple(pupils),
        staff=tuple(staff),
        complete=complete,
        deleted_pupil_ids=tuple(dict.fromkeys(deleted_pupil_ids)),
        deleted_staff_ids=tuple(dict.fromkeys(deleted_staff_ids)),
        deleted_group_ids=tuple(dict.fromkeys(deleted_group_ids)),
        warnings=tuple(warnings),
    )


def _unique(items: list, what: str, warnings: list[str]) -> list:
    """Keep the first record per MIS id: pages can overlap when the MIS changes mid-fetch."""
    seen: dict[str, object] = {}
    duplicates = 0
    for item in items:
        if item.mis_id in seen:
            duplicates += 1
            continue
        seen[item.mis_id] = item
    if duplicates:
        warnings.append(f"{duplicates} duplicate {what} record(s) ignored (same MIS id listed twice)")
    return list(seen.values())


class Problems:
    """Collects per-record warnings without flooding: the first few are kept in full."""

    LIMIT = 20

    def __init__(self):
        self.messages: list[str] = []
        self.extra = 0

    def add(self, message: str) -> None:
        if len(self.messages) < self.LIMIT:
            self.messages.append(message)
        else:
            self.extra += 1

    def as_list(self) -> list[str]:
        if self.extra:
            return [*self.messages, f"… and {self.extra} more problem(s) of the same kind"]
        return list(self.messages)
