"""Reads for the accounts app; views get their querysets from here."""

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import Group, Role, School, Status, User


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
