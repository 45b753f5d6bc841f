"""The Leavers folder's actions on one leaver: reinstate into a class, or delete now."""

from datetime import date

from django.db import transaction

from accounts.models import Group, Role, Status, User
from accounts.services.audit import AuditContext
from accounts.services.leavers import RefusedError, accounts_delete, accounts_reinstate
from accounts.services.memberships import pupils_move

SOURCE = "leavers folder"


@transaction.atomic(durable=True)
def leaver_reinstate(*, actor: User, account: User, group: Group | None, today: date) -> None:
    """Make a leaver active again, in `group` from today when one is given.

    A pupil goes in through `pupils_move`, so their year group and unpinned theme follow the
    class as they would for any move.
    """
    if account.status != Status.LEAVER:
        raise RefusedError(f"{account.get_full_name()} is not a leaver.")
    if group is not None and group.school_id != actor.school_id:
        raise RefusedError("That class belongs to another school.")
    ctx = AuditContext(school=actor.school, actor=actor, source=SOURCE)
    is_pupil = account.role == Role.PUPIL
    accounts_reinstate(
        ctx=ctx, account_ids={account.pk}, group=None if is_pupil else group, start_date=today
    )
    if is_pupil and group is not None:
        pupils_move(ctx=ctx, account_ids={account.pk}, group=group, on=today)


@transaction.atomic(durable=True)
def leaver_delete(*, actor: User, account: User) -> int:
    """Delete one leaver for good now, instead of waiting for the retention period."""
    if account.status != Status.LEAVER:
        raise RefusedError(f"{account.get_full_name()} is not a leaver.")
    ctx = AuditContext(school=actor.school, actor=actor, source=SOURCE)
    return accounts_delete(ctx=ctx, account_ids={account.pk})
