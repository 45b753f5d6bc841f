"""Class memberships: moving pupils and attaching teachers, with history kept."""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from accounts.models import Group, GroupMembership, Role, Status, User
from accounts.services.audit import AuditBuffer, AuditContext
from accounts.services.leavers import RefusedError


def pupils_move(*, ctx: AuditContext, account_ids: set[int], group: Group, on: date) -> int:
    """Move active pupils into `group` from `on`: their current class membership ends, a new one starts.

    Pupils already in `group` are left alone. The pupils' year group follows the class's
    year group when the class has one, and unpinned themes follow the year group.
    Returns how many pupils moved.
    """
    if group.school_id != ctx.school.pk:
        raise RefusedError("That class belongs to another school.")
    with transaction.atomic():
        pupils = list(
            User.objects.select_for_update()
            .filter(school=ctx.school, pk__in=account_ids, role=Role.PUPIL, status=Status.ACTIVE)
        )
        current = dict(
            GroupMembership.objects.filter(user__in=pupils, role="pupil", end_date__isnull=True).values_list(
                "user_id", "group__name"
            )
        )
        already = set(
            GroupMembership.objects.filter(user__in=pupils, group=group, end_date__isnull=True).values_list(
                "user_id", flat=True
            )
        )
        moving = [p for p in pupils if p.pk not in already]
        if not moving:
            return 0
        ids = [p.pk for p in moving]
        GroupMembership.objects.filter(user_id__in=ids, role="pupil", end_date__isnull=True).update(
            end_date=Greatest(F("start_date"), on)
        )
        GroupMembership.objects.bulk_create(
            [GroupMembership(group=group, user_id=pk, role="pupil", start_date=on) for pk in ids]
        )
        if group.year_group:
            for pupil in moving:
                pupil.year_group = group.year_group
                pupil.theme = pupil.theme_follows()
            User.objects.bulk_update(moving, ["year_group", "theme"], batch_size=500)
        audit = AuditBuffer(ctx)
        for pupil in moving:
            audit.add_account(pupil, "moved", {"from": current.get(pupil.pk), "to": group.name, "on": on.isoformat()})
        audit.flush()
    return len(moving)
