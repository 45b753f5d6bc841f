"""The Accounts tab's bulk actions: each one is one transaction and one "bulk" audit batch."""

from datetime import date

from django.db import transaction

from accounts.credential_sheets import Credential
from accounts.models import AuditBatch, Group, LeftVia, User
from accounts.services.audit import AuditContext, audit_batch_create
from accounts.services.leavers import accounts_delete, accounts_mark_left
from accounts.services.memberships import pupils_move
from accounts.services.passwords import passwords_reset

SOURCE = "accounts tab"


def _context(*, actor: User, label: str) -> AuditContext:
    batch = audit_batch_create(school=actor.school, kind=AuditBatch.Kind.BULK, label=label, actor=actor)
    return AuditContext(school=actor.school, actor=actor, source=SOURCE, batch=batch)


def _drop_if_empty(ctx: AuditContext, result):
    """A bulk action that changed nothing leaves no empty batch in the audit log."""
    if not result:
        ctx.batch.delete()
    return result


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@transaction.atomic(durable=True)
def accounts_bulk_leave(*, actor: User, account_ids: set[int], leave_date: date) -> int:
    """Make the chosen accounts leavers (by hand). Raises RefusedError for self / last superadmin."""
    ctx = _context(actor=actor, label=f"Leave: {_plural(len(account_ids), 'account')}")
    return _drop_if_empty(
        ctx, accounts_mark_left(ctx=ctx, account_ids=account_ids, leave_date=leave_date, via=LeftVia.HAND)
    )


@transaction.atomic(durable=True)
def accounts_bulk_delete(*, actor: User, account_ids: set[int]) -> int:
    """Delete the chosen accounts for good. Raises RefusedError for self / last superadmin."""
    ctx = _context(actor=actor, label=f"Delete: {_plural(len(account_ids), 'account')}")
    return _drop_if_empty(ctx, accounts_delete(ctx=ctx, account_ids=account_ids))


@transaction.atomic(durable=True)
def accounts_bulk_move(*, actor: User, account_ids: set[int], group: Group, on: date) -> int:
    """Move the chosen pupils into `group` (staff among them are left alone)."""
    ctx = _context(actor=actor, label=f"Move to {group.name}: {_plural(len(account_ids), 'account')}")
    return _drop_if_empty(ctx, pupils_move(ctx=ctx, account_ids=account_ids, group=group, on=on))


@transaction.atomic(durable=True)
def accounts_bulk_reset_passwords(*, actor: User, account_ids: set[int]) -> list[Credential]:
    """New passwords for the chosen accounts, returned once for the credentials page."""
    ctx = _context(actor=actor, label=f"Reset passwords: {_plural(len(account_ids), 'account')}")
    return _drop_if_empty(ctx, passwords_reset(ctx=ctx, account_ids=account_ids))
