"""Creating accounts and schools."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.credentials import password_generate, usernames_generate
from accounts.models import Group, GroupMembership, Role, School, User, theme_for_year_group
from accounts.services.audit import AuditBuffer, AuditContext


@transaction.atomic(durable=True)
def school_create(*, slug: str, name: str, phase: str = School.Phase.PRIMARY, timezone: str = "Europe/London") -> School:
    school = School(slug=slug, name=name, phase=phase, timezone=timezone)
    school.full_clean()
    school.save()
    return school


@dataclass(frozen=True)
class NewAccount:
    forename: str
    surname: str
    role: str = Role.PUPIL
    username: str = ""  # blank → generated
    password: str = ""  # blank → generated
    group: Group | None = None
    year_group: str = ""
    theme: str = ""  # blank → follows the year group
    admission_number: str | None = None
    upn: str | None = None
    mis_id: str | None = None
    start_date: date | None = None
    email: str = ""
    # Already hashed (e.g. by the import's Celery task, in chunks); must be the hash of `password`.
    password_hash: str = ""


@dataclass(frozen=True)
class CreatedAccount:
    account: User
    password: str  # plain text, for showing once; never stored


def accounts_create(*, ctx: AuditContext, new: list[NewAccount], today: date) -> list[CreatedAccount]:
    """Create accounts with generated usernames/passwords where blank, each in its class.

    Hashes one password per account, so callers creating more than a few dozen accounts run
    this from a Celery task in chunks (see the import) rather than inside a web request.
    """
    school = ctx.school
    with transaction.atomic():
        generated = usernames_generate(
            school=school,
            people=[(n.forename, n.surname) for n in new if not n.username],
            reserved=[n.username for n in new if n.username],
        )
        names = iter(generated)
        users, passwords = [], []
        for n in new:
            password = n.password or password_generate(style=school.password_style)
            year_group = n.year_group or (n.group.year_group if n.group else "")
            pinned = bool(n.theme) and n.theme != theme_for_year_group(year_group)
            users.append(
                User(
                    school=school,
                    username=n.username or next(names),
                    first_name=n.forename.strip(),
                    last_name=n.surname.strip(),
                    role=n.role,
                    email=n.email,
                    password=n.password_hash or make_password(password),
                    year_group=year_group if n.role == Role.PUPIL else "",
                    theme=(n.theme or theme_for_year_group(year_group)) if n.role == Role.PUPIL else "improver",
                    theme_pinned=pinned and n.role == Role.PUPIL,
                    admission_number=n.admission_number or None,
                    upn=n.upn or None,
                    mis_id=n.mis_id or None,
                    start_date=n.start_date or (today if n.role == Role.PUPIL else None),
                )
            )
            passwords.append(password)
        User.objects.bulk_create(users, batch_size=500)
        memberships = [
            GroupMembership(
                group=n.group,
                user=u,
                role=GroupMembership.Role.PUPIL if n.role == Role.PUPIL else GroupMembership.Role.TEACHER,
                start_date=today,
            )
            for n, u in zip(new, users)
            if n.group is not None
        ]
        GroupMembership.objects.bulk_create(memberships, batch_size=500)
        audit = AuditBuffer(ctx)
        for n, u in zip(new, users):
            audit.add_account(u, "created", {"role": u.role, "group": n.group.name if n.group else None})
        audit.flush()
    return [CreatedAccount(account=u, password=p) for u, p in zip(users, passwords)]
