"""Staff accounts: editing names and roles, and creating one account by hand."""

from datetime import date

from django.db import IntegrityError, transaction

from accounts.credential_sheets import Credential
from accounts.models import ADMIN_ROLES, Role, Status, User
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditBuffer, AuditContext
from accounts.services.leavers import RefusedError
from accounts.services.pupils import changes_for_audit

STAFF_PAGE = "staff page"
NEW_ACCOUNT = "new account"


def _refuse_role_change(*, actor: User, account: User | None, old_role: str | None, new_role: str) -> None:
    """Only a superadmin gives or takes away admin rights; nobody changes their own role."""
    if old_role == new_role:
        return
    if account is not None and account.pk == actor.pk:
        raise RefusedError("You cannot change your own role. Ask another superadmin.")
    if (new_role in ADMIN_ROLES or old_role in ADMIN_ROLES) and actor.role != Role.SUPERADMIN:
        raise RefusedError("Only a superadmin can make someone an admin or take admin rights away.")
    if old_role == Role.SUPERADMIN:
        others = User.objects.filter(school=actor.school, role=Role.SUPERADMIN, status=Status.ACTIVE).exclude(pk=account.pk)
        if not others.exists():
            raise RefusedError(
                f"{account.get_full_name()} is the school's last superadmin. Make someone else a superadmin first."
            )


@transaction.atomic(durable=True)
def staff_update(*, actor: User, account: User, first_name: str, last_name: str, email: str, role: str) -> list[str]:
    """Save a staff account's names, e-mail and role; returns the fields that changed."""
    ctx = AuditContext(school=actor.school, actor=actor, source=STAFF_PAGE)
    account = User.objects.select_for_update().get(pk=account.pk, school=ctx.school)
    if account.role not in (Role.STAFF, *ADMIN_ROLES):
        raise RefusedError("This account is not a staff account.")
    if role not in (Role.STAFF, *ADMIN_ROLES):
        raise RefusedError("Choose staff, admin or superadmin.")
    _refuse_role_change(actor=actor, account=account, old_role=account.role, new_role=role)
    values = {"first_name": first_name.strip(), "last_name": last_name.strip(), "email": email.strip(), "role": role}
    detail = {}
    for field, new in values.items():
        old = getattr(account, field)
        if old != new:
            detail[field] = [old, new]
            setattr(account, field, new)
    if detail:
        account.save(update_fields=list(detail))
        audit = AuditBuffer(ctx)
        action = "role_changed" if list(detail) == ["role"] else "updated"
        audit.add_account(account, action, changes_for_audit(detail))
        audit.flush()
    return list(detail)


@transaction.atomic(durable=True)
def account_create_by_hand(*, actor: User, new: NewAccount, today: date) -> Credential:
    """Create one pupil or staff account; the username and password are generated when blank.

    Only a superadmin may create an admin or superadmin. Returns the login (with the plain
    password) for showing once.
    """
    if new.role not in (Role.PUPIL, Role.STAFF, *ADMIN_ROLES):
        raise RefusedError("Choose pupil, staff, admin or superadmin.")
    _refuse_role_change(actor=actor, account=None, old_role=None, new_role=new.role)
    if new.group is not None and new.group.school_id != actor.school_id:
        raise RefusedError("That class belongs to another school.")
    ctx = AuditContext(school=actor.school, actor=actor, source=NEW_ACCOUNT)
    try:
        with transaction.atomic():
            created = accounts_create(ctx=ctx, new=[new], today=today)[0]
    except IntegrityError:
        # The form checked uniqueness; someone else took the username or number a moment later.
        raise RefusedError(
            "That username, UPN or admission number was taken a moment ago. Check them and try again."
        ) from None
    account = created.account
    return Credential(
        name=account.get_full_name() or account.username,
        username=account.username,
        password=created.password,
        group=new.group.name if new.group else "",
        theme=account.theme if account.role == Role.PUPIL else "improver",
    )
