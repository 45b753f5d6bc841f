"""Editing one pupil's details from the pupil page."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from accounts.models import Group, GroupMembership, Role, User, normalise_upn, theme_for_year_group, validate_upn
from accounts.services.audit import AuditBuffer, AuditContext
from accounts.services.leavers import RefusedError
from accounts.services.memberships import pupils_move

SOURCE = "pupil page"
EDITABLE = ("first_name", "last_name", "year_group", "theme", "theme_pinned", "admission_number", "upn")
# Personal details are recorded as changed without their values, so deleting an account
# (which scrubs its name from the audit log) leaves none of them behind in entry details.
PERSONAL = {"first_name", "last_name", "admission_number", "upn", "email"}


def changes_for_audit(changes: dict) -> dict:
    """{field: [old, new]} with personal fields' values replaced by "changed"."""
    return {field: "changed" if field in PERSONAL else values for field, values in changes.items()}


@transaction.atomic(durable=True)
def pupil_update(
    *,
    actor: User,
    pupil: User,
    first_name: str,
    last_name: str,
    group: Group | None,
    year_group: str,
    theme: str,
    theme_pinned: bool,
    admission_number: str | None,
    upn: str | None,
    today: date,
) -> list[str]:
    """Save a pupil's names, class, year group, theme, admission number and UPN.

    A class change ends the old membership today and starts the new one (history kept). An
    unpinned theme follows the year group; a pinned one stays as chosen. Returns the names of
    the fields that changed (plus "class"), each recorded in the audit log.
    """
    ctx = AuditContext(school=actor.school, actor=actor, source=SOURCE)
    pupil = User.objects.select_for_update().get(pk=pupil.pk, school=ctx.school)
    if pupil.role != Role.PUPIL:
        raise RefusedError("This account is not a pupil's.")
    if group is not None and group.school_id != ctx.school.pk:
        raise RefusedError("That class belongs to another school.")
    changed: list[str] = []
    audit = AuditBuffer(ctx)

    current = GroupMembership.objects.filter(user=pupil, role="pupil", end_date__isnull=True).select_related("group").first()
    current_group = current.group if current else None
    if group != current_group and pupil.is_active:
        if group is not None:
            pupils_move(ctx=ctx, account_ids={pupil.pk}, group=group, on=today)
        else:
            GroupMembership.objects.filter(pk=current.pk).update(end_date=Greatest(F("start_date"), today))
            audit.add_account(pupil, "removed_from_class", {"from": current_group.name, "on": today.isoformat()})
        changed.append("class")
        pupil.refresh_from_db()

    upn = normalise_upn(upn)
    if upn:
        validate_upn(upn)
    values = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "year_group": year_group,
        "theme": theme if theme_pinned else theme_for_year_group(year_group),
        "theme_pinned": theme_pinned,
        "admission_number": (admission_number or "").strip() or None,
        "upn": upn,
    }
    detail = {}
    for field in EDITABLE:
        old, new = getattr(pupil, field), values[field]
        if old != new:
            detail[field] = [old, new]
            setattr(pupil, field, new)
    if detail:
        try:
            with transaction.atomic():
                pupil.save(update_fields=list(detail))
        except IntegrityError:
            # The form checked uniqueness; another admin saved the same number a moment later.
            raise RefusedError(
                "That UPN or admission number was given to another pupil a moment ago. Check it and try again."
            ) from None
        audit.add_account(pupil, "updated", changes_for_audit(detail))
        changed.extend(detail)
    audit.flush()
    return changed
