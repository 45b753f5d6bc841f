"""The effective-dated planner: (school state, snapshot, today) → the list of changes. Pure.

No ORM and no clock: everything comes in as arguments, so the same snapshot replayed for
another date gives that date's answer, and replaying it on the same date after applying
gives an empty plan. Rules (DESIGN §3, issue 6):

- A pupil whose leave date is on or before `today` is a leaver (dated with the MIS leave date).
- A pupil not yet here is created the night *after* the start date (start date < today).
  Pre-admissions (not on roll, no leave date) are never created.
- Matching: MIS id (or the source's stable id), then UPN, then admission number. A matched
  manual account becomes MIS-managed (it gets the MIS id). Name + date of birth is never
  matched automatically; such pairs are listed as suggestions.
- Class or year group changed → moved on `today` (membership history kept); names, UPN,
  admission number and date of birth are updated; unpinned themes follow the year group;
  a leaver back on roll is reinstated, never duplicated.
- Classes in the export but not here are created (a manual class with the same name is
  adopted instead); MIS-managed classes gone from a complete export and empty after the
  plan are removed.
- Staff who teach (or are attached to a class) are created or updated and attached to their
  classes as teachers. The sync never makes staff leavers (that is an admin's decision).
- "Vanished" pupils: MIS-managed active pupils absent from a COMPLETE snapshot with no leave
  date. Below the school's threshold they become leavers dated `today`; above it (more than
  `percent`% of active pupils or more than `count`), or on an empty export, the plan is held.
  Pupils with an explicit leave date, and explicit deletions in a delta, never count.
- A delta snapshot (`complete=False`) leaves absent people alone; its explicit deletions are
  leavers dated `today`.

Dates in the plan are ISO strings so a held plan can be stored as JSON and loaded again.
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import date

from django.core.exceptions import ValidationError

from accounts.models import theme_for_year_group, validate_upn
from misync.snapshot import Snapshot, SnapshotPupil
from misync.state import SchoolState, StatePupil, Thresholds

ACTIVE = "active"


@dataclass
class PupilCreate:
    mis_id: str
    forename: str
    surname: str
    upn: str | None
    admission_number: str | None
    year_group: str
    theme: str
    group_mis_id: str | None
    group_name: str
    start_date: str | None
    date_of_birth: str | None


@dataclass
class PupilUpdate:
    account_id: int
    label: str
    changes: dict  # field → [old, new] (dates as ISO strings)


@dataclass
class PupilMove:
    account_id: int
    label: str
    from_group_id: int | None
    from_group_name: str
    to_group_mis_id: str
    to_group_name: str


@dataclass
class PupilLeave:
    account_id: int
    label: str
    leave_date: str
    reason: str  # "leave_date", "vanished", "deleted"


@dataclass
class PupilReinstate:
    account_id: int
    label: str
    group_mis_id: str | None
    group_name: str


@dataclass
class GroupCreate:
    mis_id: str
    name: str
    year_group: str


@dataclass
class GroupUpdate:
    group_id: int
    label: str
    changes: dict  # field → [old, new]


@dataclass
class GroupRemove:
    group_id: int
    name: str


@dataclass
class StaffCreate:
    mis_id: str
    forename: str
    surname: str
    email: str
    title: str


@dataclass
class StaffUpdate:
    account_id: int
    label: str
    changes: dict


@dataclass
class TeacherAttach:
    staff_mis_id: str  # the account is found (or created) by MIS id at apply time
    group_mis_id: str
    label: str


@dataclass
class TeacherDetach:
    account_id: int
    group_id: int
    label: str


@dataclass
class Suggestion:
    account_id: int
    account_label: str
    mis_id: str
    mis_label: str
    reason: str


@dataclass
class Plan:
    today: str
    creates: list[PupilCreate] = field(default_factory=list)
    updates: list[PupilUpdate] = field(default_factory=list)
    moves: list[PupilMove] = field(default_factory=list)
    leaves: list[PupilLeave] = field(default_factory=list)
    reinstates: list[PupilReinstate] = field(default_factory=list)
    group_creates: list[GroupCreate] = field(default_factory=list)
    group_updates: list[GroupUpdate] = field(default_factory=list)
    group_removes: list[GroupRemove] = field(default_factory=list)
    staff_creates: list[StaffCreate] = field(default_factory=list)
    staff_updates: list[StaffUpdate] = field(default_factory=list)
    teacher_attaches: list[TeacherAttach] = field(default_factory=list)
    teacher_detaches: list[TeacherDetach] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    vanished: int = 0
    active_pupils: int = 0
    hold_reasons: list[str] = field(default_factory=list)

    CHANGE_LISTS = (
        "creates",
        "updates",
        "moves",
        "leaves",
        "reinstates",
        "group_creates",
        "group_updates",
        "group_removes",
        "staff_creates",
        "staff_updates",
        "teacher_attaches",
        "teacher_detaches",
    )

    @property
    def held(self) -> bool:
        return bool(self.hold_reasons)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.CHANGE_LISTS)

    @property
    def counts(self) -> dict:
        return {
            "created": len(self.creates),
            "updated": len(self.updates),
            "moved": len(self.moves),
            "left": len(self.leaves),
            "reinstated": len(self.reinstates),
            "groups_created": len(self.group_creates),
            "groups_removed": len(self.group_removes),
            "staff_created": len(self.staff_creates),
            "staff_updated": len(self.staff_updates),
        }

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        kinds = {
            "creates": PupilCreate,
            "updates": PupilUpdate,
            "moves": PupilMove,
            "leaves": PupilLeave,
            "reinstates": PupilReinstate,
            "group_creates": GroupCreate,
            "group_updates": GroupUpdate,
            "group_removes": GroupRemove,
            "staff_creates": StaffCreate,
            "staff_updates": StaffUpdate,
            "teacher_attaches": TeacherAttach,
            "teacher_detaches": TeacherDetach,
            "suggestions": Suggestion,
        }
        values = dict(data)
        for name, kind in kinds.items():
            values[name] = [kind(**row) for row in data.get(name, [])]
        return cls(**values)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _label(first: str, last: str, username: str = "") -> str:
    name = f"{first} {last}".strip()
    return f"{name} ({username})" if username else name


def _valid_upn(upn: str) -> bool:
    try:
        validate_upn(upn)
    except ValidationError:
        return False
    return True


def _norm(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


class _Matcher:
    """The matching ladder over the school's pupils: MIS id, then UPN, then admission number.

    `prepare` first gives every snapshot pupil whose MIS id (or stable id) is already known its
    account, so the UPN and admission-number rungs only consider accounts no MIS id claims.
    That is what lets a school that switched MIS (every id new) keep its accounts.
    """

    def __init__(self, pupils):
        self.by_mis = {p.mis_id: p for p in pupils if p.mis_id}
        self.by_upn = {p.upn.upper(): p for p in pupils if p.upn}
        self.by_adm = {p.admission_number.strip().casefold(): p for p in pupils if p.admission_number}
        self.taken: set[int] = set()
        self.by_id: dict[str, StatePupil] = {}

    def prepare(self, snapshot_pupils) -> None:
        for sp in snapshot_pupils:
            if sp.mis_id in self.by_id:
                continue
            for key in (sp.mis_id, sp.stable_id):
                account = self.by_mis.get(key) if key else None
                if account is not None and account.id not in self.taken:
                    self.taken.add(account.id)
                    self.by_id[sp.mis_id] = account
                    break

    def match(self, sp: SnapshotPupil) -> StatePupil | None:
        if sp.mis_id in self.by_id:
            return self.by_id.pop(sp.mis_id)
        candidates = [
            self.by_upn.get(sp.upn.upper()) if sp.upn else None,
            self.by_adm.get(sp.admission_number.strip().casefold()) if sp.admission_number else None,
        ]
        for account in candidates:
            if account is not None and account.id not in self.taken:
                self.taken.add(account.id)
                return account
        return None


def _vanished_hold_reasons(*, vanished: int, active: int, thresholds: Thresholds) -> list[str]:
    if vanished == 0:
        return []
    if vanished * 100 > thresholds.percent * max(active, 1) or vanished > thresholds.count:
        return [
            f"{vanished} of {active} active pupils are missing from the export without a leave date "
            f"(the limit is {thresholds.percent}% or {thresholds.count} pupils)"
        ]
    return []


def build_plan(*, state: SchoolState, snapshot: Snapshot, today: date, thresholds: Thresholds) -> Plan:
    plan = Plan(today=today.isoformat(), warnings=list(snapshot.warnings))
    active_pupils = [p for p in state.pupils if p.status == ACTIVE]
    plan.active_pupils = len(active_pupils)
    groups_by_id = {g.id: g for g in state.groups}

    # --- Classes -----------------------------------------------------------------------
    group_by_mis = {g.mis_id: g for g in state.groups if g.mis_id}
    group_by_name = {_norm(g.name): g for g in state.groups}
    target_group_names: dict[str, str] = {}  # snapshot mis_id → name the class will have
    target_group_ids: dict[str, int | None] = {}  # snapshot mis_id → existing group id (None: new)
    snapshot_group_ids = {sg.mis_id for sg in snapshot.groups}
    new_names: set[str] = set()
    for sg in snapshot.groups:
        if sg.mis_id in target_group_names:
            plan.warnings.append(f"Class {sg.name!r} appears twice in the export; the first is used")
            continue
        existing = group_by_mis.get(sg.mis_id)
        adopted = False
        if existing is None:
            # A class of the same name is adopted when no MIS id in this export claims it: a manual
            # class, or one from the MIS the school used before.
            same_name = group_by_name.get(_norm(sg.name))
            if same_name is not None and (not same_name.mis_id or same_name.mis_id not in snapshot_group_ids):
                existing, adopted = same_name, True
        if existing is None:
            if _norm(sg.name) in group_by_name or _norm(sg.name) in new_names:
                plan.warnings.append(f"Class {sg.name!r} was not created: another class already has that name")
                continue
            new_names.add(_norm(sg.name))
            plan.group_creates.append(GroupCreate(mis_id=sg.mis_id, name=sg.name, year_group=sg.year_group))
            target_group_names[sg.mis_id] = sg.name
            target_group_ids[sg.mis_id] = None
            continue
        changes = {}
        if adopted:
            changes["mis_id"] = [existing.mis_id, sg.mis_id]
        if not existing.mis_managed:
            changes["mis_managed"] = [False, True]
        name = existing.name
        if sg.name and sg.name != existing.name:
            clash = group_by_name.get(_norm(sg.name))
            if (clash is not None and clash.id != existing.id) or _norm(sg.name) in new_names:
                plan.warnings.append(f"Class {existing.name!r} was not renamed to {sg.name!r}: that name is taken")
            else:
                changes["name"] = [existing.name, sg.name]
                name = sg.name
        if sg.year_group and sg.year_group != existing.year_group:
            changes["year_group"] = [existing.year_group, sg.year_group]
        if changes:
            plan.group_updates.append(GroupUpdate(group_id=existing.id, label=existing.name, changes=changes))
        target_group_names[sg.mis_id] = name
        target_group_ids[sg.mis_id] = existing.id
    snapshot_group_year = {sg.mis_id: sg.year_group for sg in snapshot.groups}

    # --- Pupils ------------------------------------------------------------------------
    matcher = _Matcher(state.pupils)
    matcher.prepare(snapshot.pupils)
    seen: set[int] = set()
    pupils_in_group_after: dict[int, int] = {}
    for p in active_pupils:
        if p.group_id is not None:
            pupils_in_group_after[p.group_id] = pupils_in_group_after.get(p.group_id, 0) + 1
    unmatched_new: list[SnapshotPupil] = []
    seen_mis_ids: set[str] = set()

    for sp in snapshot.pupils:
        if sp.mis_id in seen_mis_ids:
            plan.warnings.append(f"Pupil {sp.forename} {sp.surname} ({sp.mis_id}) appears twice in the export")
            continue
        seen_mis_ids.add(sp.mis_id)
        if sp.upn and not _valid_upn(sp.upn):
            plan.warnings.append(
                f"Pupil {sp.forename} {sp.surname} ({sp.mis_id}) has an invalid UPN {sp.upn!r}; it was ignored"
            )
            sp = replace(sp, upn=None)
        account = matcher.match(sp)
        leaving = sp.leave_date is not None and sp.leave_date <= today
        pre_admission = not sp.on_roll and sp.leave_date is None
        group_mis = sp.group_mis_id if sp.group_mis_id in target_group_names else None
        if sp.group_mis_id and group_mis is None:
            plan.warnings.append(
                f"Pupil {sp.forename} {sp.surname} ({sp.mis_id}) is in class {sp.group_mis_id!r}, "
                "which is not in the export"
            )
        year_group = sp.year_group or (snapshot_group_year.get(group_mis, "") if group_mis else "")

        if account is not None:
            seen.add(account.id)
        if leaving:
            if account is not None and account.status == ACTIVE:
                plan.leaves.append(
                    PupilLeave(
                        account_id=account.id,
                        label=_label(account.first_name, account.last_name, account.username),
                        leave_date=sp.leave_date.isoformat(),
                        reason="leave_date",
                    )
                )
                if account.group_id is not None:
                    pupils_in_group_after[account.group_id] -= 1
            continue
        if account is None:
            if pre_admission:
                continue
            if sp.start_date is not None and sp.start_date >= today:
                continue  # created the night after the start date
            unmatched_new.append(sp)
            plan.creates.append(
                PupilCreate(
                    mis_id=sp.mis_id,
                    forename=sp.forename,
                    surname=sp.surname,
                    upn=sp.upn,
                    admission_number=sp.admission_number,
                    year_group=year_group,
                    theme=theme_for_year_group(year_group),
                    group_mis_id=group_mis,
                    group_name=target_group_names.get(group_mis, "") if group_mis else "",
                    start_date=_iso(sp.start_date),
                    date_of_birth=_iso(sp.date_of_birth),
                )
            )
            continue
        if pre_admission and account.status != ACTIVE:
            continue
        label = _label(account.first_name, account.last_name, account.username)

        # Details: names, identifiers, year group and the theme that follows it.
        changes = {}
        wanted = {
            "first_name": sp.forename,
            "last_name": sp.surname,
            "mis_id": sp.mis_id,
            "upn": sp.upn or account.upn,
            "admission_number": sp.admission_number or account.admission_number,
            "year_group": year_group or account.year_group,
        }
        for name, value in wanted.items():
            if value != getattr(account, name):
                changes[name] = [getattr(account, name), value]
        if sp.date_of_birth and sp.date_of_birth != account.date_of_birth:
            changes["date_of_birth"] = [_iso(account.date_of_birth), _iso(sp.date_of_birth)]
        if not account.theme_pinned:
            theme = theme_for_year_group(wanted["year_group"])
            if theme != account.theme:
                changes["theme"] = [account.theme, theme]
        if changes:
            plan.updates.append(PupilUpdate(account_id=account.id, label=label, changes=changes))

        if account.status != ACTIVE:
            plan.reinstates.append(
                PupilReinstate(
                    account_id=account.id,
                    label=label,
                    group_mis_id=group_mis,
                    group_name=target_group_names.get(group_mis, "") if group_mis else "",
                )
            )
            continue
        target_id = target_group_ids.get(group_mis) if group_mis else None
        if group_mis and (target_id is None or target_id != account.group_id):
            current = groups_by_id.get(account.group_id)
            plan.moves.append(
                PupilMove(
                    account_id=account.id,
                    label=label,
                    from_group_id=account.group_id,
                    from_group_name=current.name if current else "",
                    to_group_mis_id=group_mis,
                    to_group_name=target_group_names[group_mis],
                )
            )
            if account.group_id is not None:
                pupils_in_group_after[account.group_id] -= 1

    # --- Vanished and deleted pupils ------------------------------------------------------
    today_iso = today.isoformat()
    if snapshot.complete:
        vanished = [p for p in active_pupils if p.mis_id and p.id not in seen]
        plan.vanished = len(vanished)
        for p in vanished:
            plan.leaves.append(
                PupilLeave(
                    account_id=p.id,
                    label=_label(p.first_name, p.last_name, p.username),
                    leave_date=today_iso,
                    reason="vanished",
                )
            )
            if p.group_id is not None:
                pupils_in_group_after[p.group_id] -= 1
    else:
        deleted = set(snapshot.deleted_pupil_ids)
        for p in active_pupils:
            if p.mis_id in deleted and p.id not in seen:
                plan.leaves.append(
                    PupilLeave(
                        account_id=p.id,
                        label=_label(p.first_name, p.last_name, p.username),
                        leave_date=today_iso,
                        reason="deleted",
                    )
                )
                if p.group_id is not None:
                    pupils_in_group_after[p.group_id] -= 1

    # --- Name + date of birth suggestions (never matched automatically) --------------------
    if unmatched_new:
        by_name_dob = {}
        for p in state.pupils:
            if p.id not in seen and p.date_of_birth and not p.mis_id:
                by_name_dob.setdefault((_norm(p.first_name), _norm(p.last_name), p.date_of_birth), p)
        for sp in unmatched_new:
            if sp.date_of_birth is None:
                continue
            p = by_name_dob.get((_norm(sp.forename), _norm(sp.surname), sp.date_of_birth))
            if p is not None:
                plan.suggestions.append(
                    Suggestion(
                        account_id=p.id,
                        account_label=_label(p.first_name, p.last_name, p.username),
                        mis_id=sp.mis_id,
                        mis_label=f"{sp.forename} {sp.surname}",
                        reason="Same name and date of birth; if this is the same child, add the UPN or "
                        "admission number to the existing account before the next sync",
                    )
                )

    # --- Classes gone from the export -------------------------------------------------------
    kept_ids = {group_id for group_id in target_group_ids.values() if group_id is not None}
    if snapshot.complete:
        gone = [g for g in state.groups if g.mis_managed and g.mis_id and g.mis_id not in target_group_names]
    else:
        deleted_groups = set(snapshot.deleted_group_ids)
        gone = [g for g in state.groups if g.mis_managed and g.mis_id in deleted_groups]
    gone = [g for g in gone if g.id not in kept_ids]
    for g in gone:
        if pupils_in_group_after.get(g.id, 0) <= 0:
            plan.group_removes.append(GroupRemove(group_id=g.id, name=g.name))
        else:
            plan.warnings.append(f"Class {g.name!r} is no longer in the export but still has pupils, so it was kept")

    # --- Staff ----------------------------------------------------------------------------
    staff_by_mis = {s.mis_id: s for s in state.staff if s.mis_id}
    staff_by_email = {s.email.casefold(): s for s in state.staff if s.email}
    group_mis_by_id = {v: k for k, v in target_group_ids.items() if v is not None}
    matched_staff: set[int] = set()
    for ss in snapshot.staff:
        if not ss.active or not (ss.is_teacher or ss.group_mis_ids):
            continue
        account = staff_by_mis.get(ss.mis_id)
        if account is None and ss.email:
            candidate = staff_by_email.get(ss.email.casefold())
            if candidate is not None and (not candidate.mis_id or candidate.mis_id == ss.mis_id):
                account = candidate
        if account is not None and account.id in matched_staff:
            continue
        wanted_groups = [m for m in ss.group_mis_ids if m in target_group_names]
        label = _label(ss.forename, ss.surname, account.username if account else "")
        if account is None:
            plan.staff_creates.append(
                StaffCreate(
                    mis_id=ss.mis_id, forename=ss.forename, surname=ss.surname, email=ss.email or "", title=ss.title
                )
            )
            for m in wanted_groups:
                plan.teacher_attaches.append(
                    TeacherAttach(staff_mis_id=ss.mis_id, group_mis_id=m, label=f"{label} → {target_group_names[m]}")
                )
            continue
        matched_staff.add(account.id)
        changes = {}
        for name, value in (("first_name", ss.forename), ("last_name", ss.surname), ("mis_id", ss.mis_id)):
            if value and value != getattr(account, name):
                changes[name] = [getattr(account, name), value]
        if ss.email and not account.email:
            changes["email"] = [account.email, ss.email]
        if changes:
            plan.staff_updates.append(StaffUpdate(account_id=account.id, label=label, changes=changes))
        if account.status != ACTIVE:
            continue
        current = set(account.group_ids)
        for m in wanted_groups:
            if target_group_ids.get(m) is None or target_group_ids[m] not in current:
                plan.teacher_attaches.append(
                    TeacherAttach(staff_mis_id=ss.mis_id, group_mis_id=m, label=f"{label} → {target_group_names[m]}")
                )
        removed = {g.id for g in plan.group_removes}
        for group_id in sorted(current):
            group = groups_by_id.get(group_id)
            if group is None or not group.mis_managed or group_id in removed:
                continue
            if group_mis_by_id.get(group_id) not in wanted_groups:
                plan.teacher_detaches.append(
                    TeacherDetach(account_id=account.id, group_id=group_id, label=f"{label} ← {group.name}")
                )

    # --- Safety hold ----------------------------------------------------------------------
    if snapshot.complete and not snapshot.pupils and active_pupils:
        plan.hold_reasons.append("The export has no pupils at all")
    plan.hold_reasons += _vanished_hold_reasons(
        vanished=plan.vanished, active=len(active_pupils), thresholds=thresholds
    )
    if plan.vanished:
        vanished_ids = {leave.account_id for leave in plan.leaves if leave.reason == "vanished"}
        for g in gone:
            members = [p for p in active_pupils if p.group_id == g.id]
            if members and all(p.id in vanished_ids for p in members) and plan.hold_reasons:
                plan.hold_reasons.append(f"The whole class {g.name!r} is missing from the export")
    return plan
