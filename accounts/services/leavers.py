"""Leaving, reinstating, deleting and purging accounts.

Shared by the admin toolbox, the rollover wizard, the import and the MIS sync so that a
leaver is the same thing whichever screen or job made it.
"""

from datetime import date, timedelta

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import AuditEntry, GroupMembership, LeftVia, Role, School, Status, User
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create


class RefusedError(Exception):
    """A change the rules do not allow; the message is shown to the admin as it is."""


def _refuse_protected(*, ctx: AuditContext, accounts: list[User], verb: str) -> None:
    """An admin cannot leave or delete themselves or the school's last superadmin."""
    if ctx.actor is not None and any(a.pk == ctx.actor.pk for a in accounts):
        raise RefusedError(f"You cannot {verb} your own account. Ask another admin to do it.")
    superadmins = [a for a in accounts if a.role == Role.SUPERADMIN and a.status == Status.ACTIVE]
    if superadmins:
        remaining = (
            User.objects.filter(school=ctx.school, role=Role.SUPERADMIN, status=Status.ACTIVE)
            .exclude(pk__in=[a.pk for a in superadmins])
            .exists()
        )
        if not remaining:
            raise RefusedError(
                f"You cannot {verb} {superadmins[0].get_full_name()}: they are the school's last superadmin. "
                "Make someone else a superadmin first."
            )


def end_sessions(user_ids: set[int]) -> None:
    """Log these accounts out everywhere.

    Deactivated accounts are already refused by the auth backend on their next request; this
    also removes their session rows so nothing of theirs lingers.
    """
    if not user_ids:
        return
    wanted = {str(pk) for pk in user_ids}
    stale = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000):
        if session.get_decoded().get("_auth_user_id") in wanted:
            stale.append(session.session_key)
    Session.objects.filter(session_key__in=stale).delete()


def accounts_mark_left(
    *, ctx: AuditContext, account_ids: set[int], leave_date: date, via: str = LeftVia.HAND, check_protected=True
) -> int:
    """Make accounts leavers: deactivated, out of their groups (history kept), in the Leavers folder.

    Runs inside the caller's transaction when there is one. Returns how many accounts left.
    """
    with transaction.atomic():
        accounts = list(
            User.objects.select_for_update()
            .filter(school=ctx.school, pk__in=account_ids, status=Status.ACTIVE)
            .exclude(role=Role.OPERATOR)
        )
        if not accounts:
            return 0
        if check_protected:
            _refuse_protected(ctx=ctx, accounts=accounts, verb="make a leaver of")
        ids = [a.pk for a in accounts]
        User.objects.filter(pk__in=ids).update(
            status=Status.LEAVER, is_active=False, leave_date=leave_date, left_via=via
        )
        GroupMembership.objects.filter(user_id__in=ids, end_date__isnull=True).update(
            end_date=Greatest(F("start_date"), leave_date)
        )
        audit = AuditBuffer(ctx)
        for account in accounts:
            audit.add_account(account, "left", {"leave_date": leave_date.isoformat(), "via": via})
        audit.flush()
        transaction.on_commit(lambda: end_sessions(set(ids)))
    return len(accounts)


def accounts_reinstate(*, ctx: AuditContext, account_ids: set[int], group=None, start_date: date) -> int:
    """Bring leavers back: active again, optionally into a class from `start_date`."""
    with transaction.atomic():
        accounts = list(User.objects.select_for_update().filter(school=ctx.school, pk__in=account_ids, status=Status.LEAVER))
        if not accounts:
            return 0
        if group is not None and group.school_id != ctx.school.pk:
            raise RefusedError("That class belongs to another school.")
        ids = [a.pk for a in accounts]
        User.objects.filter(pk__in=ids).update(status=Status.ACTIVE, is_active=True, leave_date=None, left_via="")
        if group is not None:
            GroupMembership.objects.bulk_create(
                [
                    GroupMembership(group=group, user_id=a.pk, role="pupil" if a.role == Role.PUPIL else "teacher", start_date=start_date)
                    for a in accounts
                ]
            )
        audit = AuditBuffer(ctx)
        for account in accounts:
            audit.add_account(account, "reinstated", {"group": group.name if group else None})
        audit.flush()
    return len(accounts)


def accounts_delete(*, ctx: AuditContext, account_ids: set[int], check_protected=True, reason: str = "deleted") -> int:
    """Remove accounts and their personal data for good.

    Content they wrote stays, attributed to "Former pupil" / "Former staff member" (the
    communities' author columns are SET_NULL with the author's role kept beside them). Earlier
    audit entries about them lose the name too, keeping only the account id.
    """
    with transaction.atomic():
        accounts = list(User.objects.select_for_update().filter(school=ctx.school, pk__in=account_ids).exclude(role=Role.OPERATOR))
        if not accounts:
            return 0
        if check_protected:
            _refuse_protected(ctx=ctx, accounts=accounts, verb="delete")
        ids = [a.pk for a in accounts]
        audit = AuditBuffer(ctx)
        for account in accounts:
            kind = "pupil" if account.role == Role.PUPIL else "staff member"
            audit.add(
                action=reason,
                target_type="account",
                target_id=account.pk,
                target_label=f"Former {kind} #{account.pk}",
                detail={"role": account.role},
            )
        # Scrub names from this school's earlier entries about these accounts.
        for account in accounts:
            kind = "pupil" if account.role == Role.PUPIL else "staff member"
            AuditEntry.objects.filter(school=ctx.school, target_type="account", target_id=account.pk).update(
                target_label=f"Former {kind} #{account.pk}"
            )
        AuditEntry.objects.filter(school=ctx.school, actor_id__in=ids).update(actor_label="Former staff member")
        User.objects.filter(pk__in=ids).delete()
        audit.flush()
    end_sessions(set(ids))
    return len(accounts)


@transaction.atomic(durable=True)
def leavers_purge_expired(*, school: School, today: date) -> int:
    """Delete leavers whose leave date is older than the school's retention period."""
    cutoff = today - timedelta(days=school.leaver_retention_days)
    ids = set(
        User.objects.filter(school=school, status=Status.LEAVER)
        .filter(Q(leave_date__lt=cutoff) | Q(leave_date__isnull=True, date_joined__date__lt=cutoff))
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    batch = audit_batch_create(
        school=school, kind="system", label=f"Leavers past the {school.leaver_retention_days}-day retention period", actor=None
    )
    ctx = AuditContext(school=school, actor=None, source="retention purge", batch=batch)
    return accounts_delete(ctx=ctx, account_ids=ids, check_protected=False, reason="purged")
