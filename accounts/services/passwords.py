"""Resetting passwords: new ones in the school's password style, returned once, never stored."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.credential_sheets import Credential
from accounts.credentials import password_generate
from accounts.models import ADMIN_ROLES, Role, Status, User
from accounts.selectors import current_classes_by_account
from accounts.services.audit import AuditBuffer, AuditContext
from accounts.services.leavers import RefusedError, end_sessions

# Argon2 costs about 0.1 s per password in production, so one web request resets at most one
# class's worth; bigger sets are refused with a message saying so (DESIGN §8).
RESET_MAX = 60


def passwords_reset(*, ctx: AuditContext, account_ids: set[int]) -> list[Credential]:
    """Give each active account a new generated password; returns the plain passwords once.

    Refuses more than RESET_MAX accounts, the actor's own account, and (unless the actor is a
    superadmin) any admin or superadmin, whose password would let the actor act as them.
    Everyone whose password changed is logged out everywhere.
    """
    if len(account_ids) > RESET_MAX:
        raise RefusedError(
            f"You can reset at most {RESET_MAX} passwords at a time (about one class), because making each "
            f"password takes a moment. You chose {len(account_ids)}: reset them a class at a time."
        )
    with transaction.atomic():
        accounts = list(
            User.objects.select_for_update()
            .filter(school=ctx.school, pk__in=account_ids, status=Status.ACTIVE)
            .exclude(role=Role.OPERATOR)
            .order_by("last_name", "first_name", "pk")
        )
        if ctx.actor is not None and any(a.pk == ctx.actor.pk for a in accounts):
            raise RefusedError("You cannot reset your own password here. Use “Change password” instead, or ask another admin.")
        actor_is_superadmin = ctx.actor is not None and ctx.actor.role == Role.SUPERADMIN
        admins = [a for a in accounts if a.role in ADMIN_ROLES]
        if admins and not actor_is_superadmin:
            raise RefusedError(
                f"Only a superadmin can reset an admin's password ({admins[0].get_full_name()} is an admin)."
            )
        classes = current_classes_by_account(account_ids=[a.pk for a in accounts])
        credentials = []
        audit = AuditBuffer(ctx)
        for account in accounts:
            password = password_generate(style=ctx.school.password_style)
            account.password = make_password(password)
            credentials.append(
                Credential(
                    name=account.get_full_name() or account.username,
                    username=account.username,
                    password=password,
                    group=classes.get(account.pk, ""),
                    theme=account.theme_follows() if account.role == Role.PUPIL else "improver",
                )
            )
            audit.add_account(account, "password_reset")
        User.objects.bulk_update(accounts, ["password"], batch_size=500)
        audit.flush()
        ids = {a.pk for a in accounts}
        transaction.on_commit(lambda: end_sessions(ids))
    return credentials
