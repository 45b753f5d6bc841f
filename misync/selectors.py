"""Reads for the MIS sync: the school state the planner needs, runs, changes."""

from django.db.models import Q

from accounts.models import Group, GroupMembership, Role, School, Status, User
from misync.models import MisConnection, SyncChange, SyncRun
from misync.state import SchoolState, StateGroup, StatePupil, StateStaff, Thresholds

STAFF_ROLES = (Role.STAFF, Role.ADMIN, Role.SUPERADMIN)


def mis_enabled(*, school: School) -> bool:
    """True when the school reads its pupils from an MIS (the nightly sync is switched on)."""
    return MisConnection.objects.filter(school=school, enabled=True).exists()


def connection_for(*, school: School) -> MisConnection | None:
    return MisConnection.objects.filter(school=school).first()


def thresholds_for(*, school: School) -> Thresholds:
    return Thresholds(percent=school.sync_hold_percent, count=school.sync_hold_count)


def load_school_state(school: School) -> SchoolState:
    """Everything the planner compares against, in four `.values()` queries whatever the size.

    Memberships are read by the school's class ids (`group_id IN (...)`, the membership's group
    index) rather than through a join on the school: right after a bulk load PostgreSQL's
    statistics are stale and it nested-looped the join over every school's memberships
    (bench/sync_bench.py: 235 ms a school at 50 schools, against a few ms this way).
    """
    groups = tuple(
        StateGroup(**row)
        for row in Group.objects.filter(school=school)
        .order_by("pk")
        .values("id", "name", "mis_id", "mis_managed", "year_group")
    )
    group_ids = [g.id for g in groups]
    current_class: dict[int, int] = {}
    teaching: dict[int, list[int]] = {}
    if group_ids:
        for user_id, group_id, role in GroupMembership.objects.filter(
            group_id__in=group_ids,
            role__in=(GroupMembership.Role.PUPIL, GroupMembership.Role.TEACHER),
            end_date__isnull=True,
        ).values_list("user_id", "group_id", "role"):
            if role == GroupMembership.Role.PUPIL:
                current_class[user_id] = group_id
            else:
                teaching.setdefault(user_id, []).append(group_id)
    pupils = tuple(
        StatePupil(group_id=current_class.get(row["id"]), **row)
        for row in User.objects.filter(school=school, role=Role.PUPIL)
        .order_by("pk")
        .values(
            "id",
            "username",
            "first_name",
            "last_name",
            "status",
            "mis_id",
            "upn",
            "admission_number",
            "year_group",
            "theme",
            "theme_pinned",
            "date_of_birth",
            "leave_date",
        )
    )
    staff = tuple(
        StateStaff(group_ids=tuple(sorted(teaching.get(row["id"], ()))), **row)
        for row in User.objects.filter(school=school, role__in=STAFF_ROLES)
        .order_by("pk")
        .values("id", "username", "first_name", "last_name", "status", "mis_id", "email")
    )
    return SchoolState(school_id=school.pk, pupils=pupils, groups=groups, staff=staff)


def runs_for_school(*, school: School):
    return SyncRun.objects.filter(school=school).select_related("requested_by").order_by("-created_at", "-id")


def changes_for_run(*, run: SyncRun, kind: str = ""):
    changes = SyncChange.objects.filter(run=run).order_by("id")
    if kind:
        changes = changes.filter(kind=kind)
    return changes


def last_run(*, school: School) -> SyncRun | None:
    return SyncRun.objects.filter(school=school).order_by("-created_at", "-id").first()


def school_admin_emails(*, school: School) -> list[str]:
    return list(
        User.objects.filter(school=school, role__in=(Role.ADMIN, Role.SUPERADMIN), status=Status.ACTIVE)
        .exclude(Q(email="") | Q(email__isnull=True))
        .order_by("pk")
        .values_list("email", flat=True)
    )
