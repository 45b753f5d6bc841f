from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.credentials import USERNAME_RE, USERNAME_RULE
from accounts.models import Role, School, User


class Command(BaseCommand):
    help = "Create a school, optionally with its first superadmin."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--phase", default="primary", choices=[p.value for p in School.Phase])
        parser.add_argument("--timezone", default="Europe/London")
        parser.add_argument("--superadmin", help="username of the school's first superadmin")
        parser.add_argument("--password", help="password for the superadmin")

    def handle(self, *args, slug, name, phase, timezone, superadmin, password, **options):
        if School.objects.filter(slug=slug).exists():
            raise CommandError(f"A school with slug {slug!r} already exists.", returncode=2)
        if bool(superadmin) != bool(password):
            raise CommandError("--superadmin and --password go together.", returncode=2)
        if superadmin:
            if not USERNAME_RE.match(superadmin):
                raise CommandError(f"Username {superadmin!r} is not valid: {USERNAME_RULE}.", returncode=2)
            if User.objects.filter(username__iexact=superadmin).exists():
                raise CommandError(f"The username {superadmin!r} is taken.", returncode=2)
        school = School(slug=slug, name=name, phase=phase, timezone=timezone)
        try:
            school.full_clean()
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(problems, returncode=2) from None
        with transaction.atomic():
            school.save()
            if superadmin:
                User.objects.create(
                    school=school, username=superadmin, role=Role.SUPERADMIN, password=make_password(password)
                )
        self.stdout.write(f"Created school {school.name} ({school.slug})")
        if superadmin:
            self.stdout.write(f"Superadmin: {superadmin}")
