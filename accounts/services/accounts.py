"""Creating accounts and schools."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

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
    # The MIS sync passes an unusable hash with no password: its logins are issued later per class.
    password_hash: str = ""
    date_of_birth: date | None = None


@dataclass(frozen=True)
class CreatedAccount:
    account: User
    password: str  # plain text, for showing once; never stored


# Other schools' imports and syncs run at the same time and usernames are unique across the
# platform: a name we generated can be committed elsewhere before our insert, so pick again.
USERNAME_ATTEMPTS = 5


def accounts_create(
    *, ctx: AuditContext, new: list[NewAccount], today: date, via: str = ""
) -> list[CreatedAccount]:
    """Create accounts with generated usernames/passwords where blank, each in its class.

    The one way accounts are created: by hand, by the import and by the MIS sync. Hashes one
    password per account unless `password_hash` is given, so callers creating more than a few
    dozen accounts hash beforehand in a Celery task in chunks (the import) or give an unusable
    hash (the sync) rather than hashing inside a web request. `via` is recorded in the audit
    entries ("import", "sync").
    """
    school = ctx.school
    with transaction.atomic():
        passwords = []
        for n in new:
            if n.password_hash:
                passwords.append(n.password)
            else:
                passwords.append(n.password or password_generate(style=school.password_style))
        hashes = [n.password_hash or make_password(p) for n, p in zip(new, passwords)]
        for attempt in range(USERNAME_ATTEMPTS):
            generated = usernames_generate(
                school=school,
                people=[(n.forename, n.surname) for n in new if not n.username],
                reserved=[n.username for n in new if n.username],
            )
            names = iter(generated)
            users = [
                _new_user(school, n, username=n.username or next(names), password_hash=h, today=today)
                for n, h in zip(new, hashes)
            ]
            try:
                with transaction.atomic():
                    User.objects.bulk_create(users, batch_size=500)
                break
            except IntegrityError as exc:
                if not generated or attempt == USERNAME_ATTEMPTS - 1 or "username" not in str(exc):
                    raise
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
            detail = {"role": u.role, "group": n.group.name if n.group else None}
            if via:
                detail["via"] = via
            audit.add_account(u, "created", detail)
        audit.flush()
    return [CreatedAccount(account=u, password=p) for u, p in zip(users, passwords)]


def _new_user(school: School, n: NewAccount, *, username: str, password_hash: str, today: date) -> User:
    year_group = n.year_group or (n.group.year_group if n.group else "")
    pupil = n.role == Role.PUPIL
    return User(
        school=school,
        username=username,
        first_name=n.forename.strip(),
        last_name=n.surname.strip(),
        role=n.role,
        email=n.email,
        password=password_hash,
        year_group=year_group if pupil else "",
        theme=(n.theme or theme_for_year_group(year_group)) if pupil else "improver",
        theme_pinned=pupil and bool(n.theme) and n.theme != theme_for_year_group(year_group),
        admission_number=n.admission_number or None,
        upn=n.upn or None,
        mis_id=n.mis_id or None,
        start_date=n.start_date or (today if pupil else None),
        date_of_birth=n.date_of_birth,
    )
