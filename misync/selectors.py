"""Reads for the MIS sync: the school state the planner needs, runs, changes."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Group, GroupMembership, Role, School, Status, User
from misync.health import Health, RunFacts, assess, contact_text
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
    """Everything the planner compares against, in five `.values()` queries whatever the size."""
    current_class = dict(
        GroupMembership.objects.filter(
            group__school=school, role=GroupMembership.Role.PUPIL, end_date__isnull=True
        ).values_list("user_id", "group_id")
    )
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
    groups = tuple(
        StateGroup(**row)
        for row in Group.objects.filter(school=school)
        .order_by("pk")
        .values("id", "name", "mis_id", "mis_managed", "year_group")
    )
    teaching: dict[int, list[int]] = {}
    for user_id, group_id in GroupMembership.objects.filter(
        group__school=school, role=GroupMembership.Role.TEACHER, end_date__isnull=True
    ).values_list("user_id", "group_id"):
        teaching.setdefault(user_id, []).append(group_id)
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


# --- Sync health (issue 7) ------------------------------------------------------------------

# How many recent runs health reads. Nightly runs plus a few manual ones: two months at least,
# so "last successful sync" is found unless the link has been broken for longer than that.
HEALTH_RUN_LIMIT = 60


def _recent_run_facts(*, school: School, limit: int = HEALTH_RUN_LIMIT) -> list[RunFacts]:
    """The school's newest `limit` runs as RunFacts, newest first, in one query."""
    rows = (
        SyncRun.objects.filter(school=school)
        .order_by("-created_at", "-id")
        .values("status", "started_at", "finished_at", "error_kind", "source_as_of", *SyncRun.COUNT_FIELDS)[:limit]
    )
    return [
        RunFacts(
            status=row["status"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            error_kind=row["error_kind"],
            source_as_of=row["source_as_of"],
            changes=sum(row[name] for name in SyncRun.COUNT_FIELDS),
        )
        for row in rows
    ]


def health_for_connection(*, connection: MisConnection | None, now=None) -> Health:
    """The sync health of the connection's school (state "off" when there is no connection)."""
    now = now or timezone.now()
    if connection is None:
        return Health(state="off")
    school = connection.school
    today = now.astimezone(school.tzinfo).date()
    runs = _recent_run_facts(school=school) if connection.enabled else []
    return assess(
        enabled=connection.enabled,
        paused_until=connection.pause_until,
        today=today,
        now=now,
        enabled_since=connection.enabled_since,
        runs=runs,
    )


def health_for_school(*, school: School, now=None) -> Health:
    """The school's sync health now: two queries (its MIS connection and its recent runs).

    A school whose integration is off gets state "off" without reading its runs.
    """
    connection = MisConnection.objects.filter(school=school).select_related("school").first()
    return health_for_connection(connection=connection, now=now)


@dataclass(frozen=True)
class DayActivity:
    day: date
    succeeded: int = 0
    failed: int = 0
    held: int = 0
    other: int = 0  # queued, running or rejected
    changes: int = 0

    @property
    def runs(self) -> int:
        return self.succeeded + self.failed + self.held + self.other

    @property
    def outcome(self) -> str:
        """The day's worst outcome, for the chart's colour: failed, held, succeeded, other or none."""
        for name in ("failed", "held", "succeeded", "other"):
            if getattr(self, name):
                return name
        return "none"


def sync_activity(*, school: School, today: date, days: int = 30) -> list[DayActivity]:
    """Runs and changes per school-local day for the `days` days up to `today`, oldest first (one query)."""
    tz = school.tzinfo
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=tz)
    rows = SyncRun.objects.filter(school=school, created_at__gte=since).values(
        "status", "created_at", *SyncRun.COUNT_FIELDS
    )
    totals: dict[date, dict[str, int]] = {
        first + timedelta(days=n): {"succeeded": 0, "failed": 0, "held": 0, "other": 0, "changes": 0}
        for n in range(days)
    }
    for row in rows:
        day = row["created_at"].astimezone(tz).date()
        if day not in totals:
            continue
        bucket = row["status"] if row["status"] in ("succeeded", "failed", "held") else "other"
        totals[day][bucket] += 1
        if row["status"] == "succeeded":
            totals[day]["changes"] += sum(row[name] for name in SyncRun.COUNT_FIELDS)
    return [DayActivity(day=day, **values) for day, values in totals.items()]


def latest_finished_run(*, school: School) -> SyncRun | None:
    """The newest run that ended (for the status page's "what happened" line and held-run link)."""
    return (
        SyncRun.objects.filter(school=school, status__in=("succeeded", "failed", "held", "rejected"))
        .order_by("-created_at", "-id")
        .only("id", "status", "error_kind", "error_message", "http_status", "finished_at", "for_date")
        .first()
    )


def school_admin_recipients(*, school: School) -> list[tuple[str, str]]:
    """(name, e-mail) of the school's active admins and superadmins that have an address."""
    rows = (
        User.objects.filter(school=school, role__in=(Role.ADMIN, Role.SUPERADMIN), status=Status.ACTIVE)
        .exclude(Q(email="") | Q(email__isnull=True))
        .order_by("pk")
        .values_list("first_name", "last_name", "username", "email")
    )
    return [((f"{first} {last}".strip() or username), email) for first, last, username, email in rows]


def status_page_for_school(*, school: School, now=None) -> dict:
    """Everything the MIS status page shows, in four queries whatever the history's length."""
    now = now or timezone.now()
    connection = MisConnection.objects.filter(school=school).select_related("school").first()
    health = health_for_connection(connection=connection, now=now)
    today = now.astimezone(school.tzinfo).date()
    days = sync_activity(school=school, today=today)
    return {
        "connection": connection,
        "health": health,
        "latest_run": latest_finished_run(school=school),
        "days": days,
        "active_days": [d for d in reversed(days) if d.runs],
        "contact": contact_text(health.cause, connection.connector) if health.cause and connection else "",
    }
