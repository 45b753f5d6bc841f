"""Reads for the accounts app; views get their querysets from here."""

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery

from accounts.models import AuditEntry, Group, GroupMembership, Role, School, Status, User


@dataclass(frozen=True)
class SchoolCounts:
    active_pupils: int
    staff: int
    groups: int
    leavers: int


def school_counts(*, school: School) -> SchoolCounts:
    row = User.objects.filter(school=school).aggregate(
        active_pupils=Count("pk", filter=Q(role=Role.PUPIL, status=Status.ACTIVE)),
        staff=Count("pk", filter=Q(status=Status.ACTIVE) & ~Q(role=Role.PUPIL)),
        leavers=Count("pk", filter=Q(status=Status.LEAVER)),
    )
    return SchoolCounts(groups=Group.objects.filter(school=school).count(), **row)


def groups_for_user(*, user: User):
    """The classes an account is currently in (one for a pupil, possibly several for staff)."""
    return Group.objects.filter(memberships__user=user, memberships__end_date__isnull=True).order_by("name")


# --- Groups page and the rollover wizard --------------------------------------------------


def school_uses_mis(*, school: School) -> bool:
    """Whether the school's classes and pupils are kept up to date by the nightly MIS sync.

    A school without an MIS connection, or with it switched off, does its year end by hand or
    in the wizard.
    """
    from misync.selectors import mis_enabled  # misync builds on accounts, so import late

    return mis_enabled(school=school)


def groups_with_pupil_counts(*, school: School):
    """The school's classes oldest year group first (Y6 … N1, then none), each with `pupil_count`
    (current pupils) and `current_teachers` (current teacher memberships with their accounts).

    Two queries whatever the number of classes: the classes with their counts, and their teachers.
    """
    from django.db.models import Case, IntegerField, Prefetch, Value, When

    from accounts.models import YEAR_GROUPS, GroupMembership

    rank = Case(
        *[When(year_group=yg, then=Value(i + 1)) for i, yg in enumerate(YEAR_GROUPS)],
        default=Value(0),
        output_field=IntegerField(),
    )
    teachers = GroupMembership.objects.filter(role="teacher", end_date__isnull=True).select_related("user").order_by(
        "user__last_name", "user__first_name"
    )
    return (
        Group.objects.filter(school=school)
        .annotate(
            pupil_count=Count("memberships", filter=Q(memberships__role="pupil", memberships__end_date__isnull=True)),
            year_rank=rank,
        )
        .prefetch_related(Prefetch("memberships", queryset=teachers, to_attr="current_teachers"))
        .order_by("-year_rank", "name")
    )


def group_current_members(*, group: Group):
    """A class's current pupils and teachers, each ordered by name."""
    from accounts.models import GroupMembership

    current = GroupMembership.objects.filter(group=group, end_date__isnull=True).select_related("user").order_by(
        "user__last_name", "user__first_name"
    )
    pupils = [m for m in current if m.role == "pupil"]
    teachers = [m for m in current if m.role == "teacher"]
    return pupils, teachers


def staff_for_school(*, school: School):
    """Active staff accounts (teachers and admins) who could be attached to a class."""
    from accounts.models import STAFF_ROLES

    return User.objects.filter(school=school, role__in=STAFF_ROLES, status=Status.ACTIVE).order_by(
        "last_name", "first_name"
    )


def rollover_leaver_candidates(*, school: School):
    """Active pupils in the school's leavers' year (Y6, or Y2 in an infant school), with their class name."""
    from django.db.models import OuterRef, Subquery

    from accounts.models import GroupMembership

    current_class = GroupMembership.objects.filter(
        user=OuterRef("pk"), role="pupil", end_date__isnull=True
    ).values("group__name")[:1]
    return (
        User.objects.filter(school=school, role=Role.PUPIL, status=Status.ACTIVE, year_group=school.leavers_year_group)
        .annotate(class_name=Subquery(current_class))
        .order_by("class_name", "last_name", "first_name")
    )


def rollover_year_group_moves(*, school: School) -> list[dict]:
    """For the year-groups step's preview: per year group, how many active pupils move and where to."""
    from accounts.models import YEAR_GROUP_LABELS, YEAR_GROUPS
    from accounts.services.rollover import next_year_group_in

    counts = dict(
        User.objects.filter(school=school, role=Role.PUPIL, status=Status.ACTIVE)
        .exclude(year_group="")
        .values_list("year_group")
        .annotate(n=Count("pk"))
        .values_list("year_group", "n")
    )
    pinned = dict(
        User.objects.filter(school=school, role=Role.PUPIL, status=Status.ACTIVE, theme_pinned=True)
        .exclude(year_group="")
        .values_list("year_group")
        .annotate(n=Count("pk"))
        .values_list("year_group", "n")
    )
    rows = []
    for year_group in reversed(YEAR_GROUPS):
        if not counts.get(year_group):
            continue
        new = next_year_group_in(school=school, year_group=year_group)
        rows.append(
            {
                "year_group": YEAR_GROUP_LABELS[year_group],
                "new_year_group": YEAR_GROUP_LABELS[new] if new else None,
                "pupils": counts[year_group],
                "pinned": pinned.get(year_group, 0),
            }
        )
    return rows

# --- Accounts tab, leavers folder, audit log ------------------------------------------------


def current_class_subquery():
    """The name of an account's current class (a pupil's only class; a teacher's first by name)."""
    return Subquery(
        GroupMembership.objects.filter(user=OuterRef("pk"), end_date__isnull=True)
        .order_by("role", "group__name")
        .values("group__name")[:1]
    )


def accounts_for_admin_list(*, school: School):
    """A school's accounts for the Accounts tab, with the current class annotated as `class_name`.

    The annotation is a correlated subquery inside the page's one SELECT, so the class column
    costs no query per row whatever the page size.
    """
    return (
        User.objects.filter(school=school)
        .exclude(role=Role.OPERATOR)
        .annotate(class_name=current_class_subquery())
        .order_by("last_name", "first_name", "pk")
    )


def groups_for_school(*, school: School):
    """A school's classes for choosing one: by year group, then name."""
    return Group.objects.filter(school=school).order_by("year_group", "name")


def leavers_for_admin(*, school: School):
    """The Leavers folder: a school's leavers, most recent leave date first."""
    return (
        User.objects.filter(school=school, status=Status.LEAVER)
        .exclude(role=Role.OPERATOR)
        .order_by(F("leave_date").desc(nulls_last=True), "last_name", "first_name", "pk")
    )


def last_class_for(*, account: User) -> Group | None:
    """The class an account is in now or was in last (a leaver's class before leaving), or None."""
    membership = (
        GroupMembership.objects.filter(user=account)
        .select_related("group")
        .order_by(F("end_date").desc(nulls_first=True), "-start_date", "-pk")
        .first()
    )
    return membership.group if membership else None


def current_class_for(*, account: User) -> Group | None:
    """A pupil's current class (a teacher's first by name), or None."""
    membership = (
        GroupMembership.objects.filter(user=account, end_date__isnull=True)
        .select_related("group")
        .order_by("role", "group__name")
        .first()
    )
    return membership.group if membership else None


def current_classes_by_account(*, account_ids) -> dict[int, str]:
    """Account id → current class name (a pupil's class, else a teacher's first class by name)."""
    result: dict[int, str] = {}
    rows = (
        GroupMembership.objects.filter(user_id__in=account_ids, end_date__isnull=True)
        .order_by("role", "group__name")
        .values_list("user_id", "group__name")
    )
    for user_id, name in rows:
        result.setdefault(user_id, name)
    return result


def audit_entries_for_admin(*, school: School):
    """A school's audit log, newest first, with each entry's batch joined in."""
    return AuditEntry.objects.filter(school=school).select_related("batch").order_by("-created_at", "-id")


def audit_entries_for_account(*, account: User, limit: int = 10) -> list[AuditEntry]:
    """The latest entries about one account, for its page."""
    return list(
        AuditEntry.objects.filter(school_id=account.school_id, target_type="account", target_id=account.pk)
        .select_related("batch")
        .order_by("-created_at", "-id")[:limit]
    )


def audit_actions_for_school(*, school: School) -> list[str]:
    """The distinct actions recorded for a school, for the audit log's action filter."""
    return list(
        AuditEntry.objects.filter(school=school).order_by("action").values_list("action", flat=True).distinct()
    )
