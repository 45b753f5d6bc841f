"""Applying a plan: one durable transaction per school, bulk writes, a change row and an audit
entry for every change.

Passwords: accounts the sync creates get an UNUSABLE password (`make_password(None)`), so a
first sync of a 1,000-pupil school hashes nothing and takes seconds, not the ~100 s that 1,000
Argon2 hashes would. Pupils get a usable password when an admin issues logins for their class
(`misync.services.login_issue_create` → a chunked Celery task with progress in the database →
the credentials page), which also suits schools: cards are printed per class when needed.
"""

import io
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from accounts.models import Group, GroupMembership, LeftVia, Role, School, Status, User
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create
from accounts.services.leavers import accounts_mark_left
from misync.models import SyncChange, SyncRun
from misync.planner import Plan, build_plan
from misync.selectors import load_school_state

BATCH = 500


class StateChangedError(Exception):
    """The school's data changed between planning and applying; plan again."""


@dataclass(frozen=True)
class ApplyResult:
    counts: dict


# How many rows' changes are written at once: "copy" (PostgreSQL only) copies the new values into a
# temporary table and runs one UPDATE … FROM it; "bulk_update" is Django's CASE WHEN per row and
# field, in BATCH-sized statements. bench/sync_bench.py measures both on a July rollover night.
UPDATE_METHOD = "copy"


def update_rows(objs: list, fields: list[str]) -> None:
    """Write `fields` of these model instances (all of one model) to the database."""
    if not objs or not fields:
        return
    model = type(objs[0])
    if UPDATE_METHOD != "copy" or connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        return
    qn = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(qn(f.column) for f in columns)
    data = io.StringIO()
    for obj in objs:
        values = [obj.pk] + [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns]
        data.write(",".join(_csv(v) for v in values) + "\n")
    data.seek(0)
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE sync_update ON COMMIT DROP AS SELECT {pk}, {names} FROM {table} WITH NO DATA"
        )
        cursor.copy_expert(f"COPY sync_update ({pk}, {names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", data)
        assignments = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in columns)
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM sync_update AS s WHERE t.{pk} = s.{pk}")
        cursor.execute("DROP TABLE sync_update")


def _csv(value) -> str:
    if value is None:
        return "\\N"  # COPY's NULL marker; every other value is quoted, so a real backslash-N stays text
    return '"' + str(value).replace('"', '""') + '"'


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def apply_plan(
    *, school: School, run: SyncRun, plan: Plan, expected_fingerprint: str, actor: User | None = None
) -> ApplyResult:
    """Write `plan` for `school` in one transaction, or nothing at all.

    The School row is locked first (`select_for_update`), then the state is re-read and
    compared with the fingerprint the plan was made against: if anything changed in between,
    `StateChangedError` is raised and nothing is written.
    """
    with transaction.atomic(durable=True):
        School.objects.select_for_update().filter(pk=school.pk).first()
        if load_school_state(school).fingerprint != expected_fingerprint:
            raise StateChangedError("The school's accounts changed while the sync was planning")
        return _write_plan(school=school, run=run, plan=plan, actor=actor)


def plan_and_apply(
    *, school: School, run: SyncRun, snapshot, today: date, thresholds, actor: User | None = None
) -> tuple[Plan, str, float]:
    """Lock the school, read its state once, plan, and write the plan unless it must be held.

    Planning inside the apply's transaction (the School row locked) means nothing can change
    between the read and the write, so the state is read once rather than read, then re-read
    to compare fingerprints. A held plan writes nothing. Returns the plan, the fingerprint of
    the state it was made against, and the planning time in milliseconds.
    """
    with transaction.atomic(durable=True):
        School.objects.select_for_update().filter(pk=school.pk).first()
        started = time.monotonic()
        state = load_school_state(school)
        plan = build_plan(state=state, snapshot=snapshot, today=today, thresholds=thresholds)
        plan_ms = (time.monotonic() - started) * 1000
        if not plan.held:
            _write_plan(school=school, run=run, plan=plan, actor=actor)
    return plan, state.fingerprint, plan_ms


def _write_plan(*, school: School, run: SyncRun, plan: Plan, actor: User | None) -> ApplyResult:
    """The writes of a plan; the caller holds the school's lock inside a durable transaction."""
    today = date.fromisoformat(plan.today)
    batch = audit_batch_create(school=school, kind="sync", label=f"MIS sync run #{run.pk}", actor=actor)
    ctx = AuditContext(school=school, actor=actor, source=f"MIS sync run #{run.pk}", batch=batch)
    audit = AuditBuffer(ctx)
    changes: list[SyncChange] = []

    def change(kind, label, *, account_id=None, group_id=None, detail=None):
        changes.append(
            SyncChange(
                run=run, kind=kind, account_id=account_id, group_id=group_id, label=label[:200], detail=detail or {}
            )
        )

    # Classes first, so pupils can be put in new ones.
    new_groups = [
        Group(school=school, name=g.name, year_group=g.year_group, mis_id=g.mis_id, mis_managed=True)
        for g in plan.group_creates
    ]
    Group.objects.bulk_create(new_groups, batch_size=BATCH)
    if plan.group_updates:
        groups = Group.objects.in_bulk([u.group_id for u in plan.group_updates])
        fields = set()
        for u in plan.group_updates:
            for name, (_old, new) in u.changes.items():
                setattr(groups[u.group_id], name, new)
                fields.add(name)
        Group.objects.bulk_update(list(groups.values()), sorted(fields), batch_size=BATCH)
        for u in plan.group_updates:
            change("group_updated", u.label, group_id=u.group_id, detail=u.changes)
            audit.add(
                action="updated",
                target_type="group",
                target_id=u.group_id,
                target_label=u.label,
                detail={k: v for k, v in u.changes.items()},
            )
    for g in new_groups:
        change("group_created", g.name, group_id=g.pk, detail={"mis_id": g.mis_id})
        audit.add(
            action="created", target_type="group", target_id=g.pk, target_label=g.name, detail={"mis_id": g.mis_id}
        )
    group_ids = dict(Group.objects.filter(school=school, mis_id__isnull=False).values_list("mis_id", "pk"))

    # Leavers, through the shared service (one call per leave date).
    by_date = defaultdict(set)
    for leave in plan.leaves:
        by_date[leave.leave_date].add(leave.account_id)
    for leave_date, ids in sorted(by_date.items()):
        accounts_mark_left(
            ctx=ctx,
            account_ids=ids,
            leave_date=date.fromisoformat(leave_date),
            via=LeftVia.SYNC,
            check_protected=False,
        )
    for leave in plan.leaves:
        change(
            "left",
            leave.label,
            account_id=leave.account_id,
            detail={"leave_date": leave.leave_date, "reason": leave.reason},
        )

    # Details (names, identifiers, year groups, themes) for pupils and staff.
    updates = [(u, "updated") for u in plan.updates] + [(u, "staff_updated") for u in plan.staff_updates]
    if updates:
        users = User.objects.in_bulk([u.account_id for u, _ in updates])
        fields = set()
        for u, kind in updates:
            user = users[u.account_id]
            for name, (_old, new) in u.changes.items():
                setattr(user, name, _d(new) if name == "date_of_birth" else new)
                fields.add(name)
            audit.add_account(user, "updated", {"via": "sync", "changes": u.changes})
            change(kind, u.label, account_id=u.account_id, detail=u.changes)
        update_rows(list(users.values()), sorted(fields))

    # Reinstated leavers: active again, back in their class from today.
    if plan.reinstates:
        ids = [r.account_id for r in plan.reinstates]
        User.objects.filter(pk__in=ids, school=school).update(
            status=Status.ACTIVE, is_active=True, leave_date=None, left_via=""
        )
        GroupMembership.objects.bulk_create(
            [
                GroupMembership(
                    group_id=group_ids[r.group_mis_id], user_id=r.account_id, role="pupil", start_date=today
                )
                for r in plan.reinstates
                if r.group_mis_id in group_ids
            ],
            batch_size=BATCH,
        )
        for r in plan.reinstates:
            audit.add(
                action="reinstated",
                target_type="account",
                target_id=r.account_id,
                target_label=r.label,
                detail={"group": r.group_name, "via": "sync"},
            )
            change(
                "reinstated",
                r.label,
                account_id=r.account_id,
                group_id=group_ids.get(r.group_mis_id),
                detail={"group": r.group_name},
            )

    # Moves: the current class membership ends today, a new one starts (history kept).
    # Not accounts.services.memberships.pupils_move: that works one class at a time and
    # sets the year group from the class, whereas the MIS says each pupil's year group.
    if plan.moves:
        ids = [m.account_id for m in plan.moves]
        GroupMembership.objects.filter(user_id__in=ids, role="pupil", end_date__isnull=True).update(
            end_date=Greatest(F("start_date"), today)
        )
        GroupMembership.objects.bulk_create(
            [
                GroupMembership(
                    group_id=group_ids[m.to_group_mis_id], user_id=m.account_id, role="pupil", start_date=today
                )
                for m in plan.moves
            ],
            batch_size=BATCH,
        )
        for m in plan.moves:
            detail = {"from": m.from_group_name or None, "to": m.to_group_name, "on": plan.today}
            audit.add(
                action="moved",
                target_type="account",
                target_id=m.account_id,
                target_label=m.label,
                detail={**detail, "via": "sync"},
            )
            change("moved", m.label, account_id=m.account_id, group_id=group_ids[m.to_group_mis_id], detail=detail)

    # New pupils and staff through the shared account service (generated usernames, picked again
    # if another school's sync commits one first), with no usable password: logins are issued later.
    unusable = make_password(None)
    groups_by_pk = Group.objects.in_bulk({group_ids[c.group_mis_id] for c in plan.creates if c.group_mis_id in group_ids})
    created = accounts_create(
        ctx=audit.ctx,
        today=today,
        via="sync",
        new=[
            NewAccount(
                forename=c.forename,
                surname=c.surname,
                role=Role.PUPIL,
                password_hash=unusable,
                group=groups_by_pk.get(group_ids.get(c.group_mis_id)),
                year_group=c.year_group,
                theme=c.theme,
                upn=c.upn,
                admission_number=c.admission_number,
                mis_id=c.mis_id,
                start_date=_d(c.start_date) or today,
                date_of_birth=_d(c.date_of_birth),
            )
            for c in plan.creates
        ]
        + [
            NewAccount(
                forename=s.forename,
                surname=s.surname,
                role=Role.STAFF,
                password_hash=unusable,
                email=s.email or "",
                mis_id=s.mis_id,
            )
            for s in plan.staff_creates
        ],
    )
    pupils = [c.account for c in created[: len(plan.creates)]]
    staff = [c.account for c in created[len(plan.creates) :]]
    for c, u in zip(plan.creates, pupils):
        change(
            "created",
            f"{u.first_name} {u.last_name} ({u.username})",
            account_id=u.pk,
            group_id=group_ids.get(c.group_mis_id),
            detail={"group": c.group_name, "year_group": c.year_group},
        )
    for u in staff:
        change("staff_created", f"{u.first_name} {u.last_name} ({u.username})", account_id=u.pk)

    # Teachers attached to and detached from their classes.
    if plan.teacher_attaches or plan.teacher_detaches:
        staff_ids = dict(
            User.objects.filter(school=school, mis_id__in={a.staff_mis_id for a in plan.teacher_attaches})
            .exclude(role=Role.PUPIL)
            .values_list("mis_id", "pk")
        )
        for d in plan.teacher_detaches:
            GroupMembership.objects.filter(
                user_id=d.account_id, group_id=d.group_id, role="teacher", end_date__isnull=True
            ).update(end_date=Greatest(F("start_date"), today))
            audit.add(action="teacher_removed", target_type="account", target_id=d.account_id, target_label=d.label)
            change("teacher_removed", d.label, account_id=d.account_id, group_id=d.group_id)
        attaches = [a for a in plan.teacher_attaches if a.staff_mis_id in staff_ids and a.group_mis_id in group_ids]
        GroupMembership.objects.bulk_create(
            [
                GroupMembership(
                    group_id=group_ids[a.group_mis_id],
                    user_id=staff_ids[a.staff_mis_id],
                    role="teacher",
                    start_date=today,
                )
                for a in attaches
            ],
            batch_size=BATCH,
        )
        for a in attaches:
            audit.add(
                action="teacher_added",
                target_type="account",
                target_id=staff_ids[a.staff_mis_id],
                target_label=a.label,
            )
            change(
                "teacher_added", a.label, account_id=staff_ids[a.staff_mis_id], group_id=group_ids[a.group_mis_id]
            )

    # Classes gone from the MIS: removed only if nobody is left in them.
    if plan.group_removes:
        ids = [g.group_id for g in plan.group_removes]
        occupied = set(
            GroupMembership.objects.filter(group_id__in=ids, role="pupil", end_date__isnull=True).values_list(
                "group_id", flat=True
            )
        )
        removable = [g for g in plan.group_removes if g.group_id not in occupied]
        Group.objects.filter(pk__in=[g.group_id for g in removable], school=school, mis_managed=True).delete()
        for g in removable:
            audit.add(
                action="deleted",
                target_type="group",
                target_id=g.group_id,
                target_label=g.name,
                detail={"via": "sync"},
            )
            change("group_removed", g.name, detail={"group_id": g.group_id})
        plan.group_removes = removable

    audit.flush()
    SyncChange.objects.bulk_create(changes, batch_size=1000)
    counts = plan.counts
    for name, value in counts.items():
        setattr(run, name, value)
    run.save(update_fields=list(counts))
    return ApplyResult(counts=counts)
