"""An idempotent demo school so that every screen has something to show.

Run it again and it tops up what is missing and resets the four demo logins' password;
it never duplicates pupils. Other apps add their demo data through a `demo.seed(school,
write)` function in their own package (communities.demo, misync.demo).
"""

import importlib
import random
from datetime import date

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Group, GroupMembership, Role, School, User, theme_for_year_group, upn_check_letter

DEFAULT_PASSWORD = "letmein-demo"

FORENAMES = [
    "Amelia", "Oliver", "Zoë", "Muhammad", "Siobhán", "Łukasz", "Aisha", "Noah", "Freya", "Leo", "Priya", "Kwame",
    "Isla", "Oscar", "Chloé", "Mateusz", "Fatima", "Harry", "Niamh", "Arjun", "Grace", "Jack", "Amara", "Yusuf",
    "Ella", "George", "Mei", "Tomás", "Sofia", "Ibrahim", "Evie", "Theo", "Ananya", "Kofi", "Ruby", "Alfie",
    "Ioana", "Dáire", "Maja", "Ethan", "Hana", "Samuel", "Lily", "Rhys", "Olivia", "Zainab", "Finn", "Anh",
    "Bethan", "Jakub", "Nour", "Callum", "Renée", "Ayaan", "Poppy", "Seren", "Mohammed", "Emily", "Oisín", "Kai",
]
SURNAMES = [
    "Smith", "Jones", "O'Brien", "Nguyễn", "Kowalski", "Patel", "Okafor", "Williams", "Brown", "Taylor",
    "Khan", "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Ahmed", "Murphy", "Wiśniewska", "Mensah",
    "Hughes", "Edwards", "Ali", "Walker", "Wright", "Thompson", "Chen", "Green", "Hall", "Lewis",
    "Clarke", "Jackson", "Wood", "Singh", "Harris-Jones", "Martin", "Cooper", "D'Souza", "Ward", "Müller",
    "Owusu", "Hussain", "Begum", "Lee", "Kaur", "Nowak", "MacDonald", "Ó Súilleabháin", "Adeyemi", "Rossi",
]
STAFF = [
    ("Mrs", "Helen", "Parker"), ("Mr", "David", "Okoro"), ("Miss", "Sarah", "Lloyd"), ("Ms", "Anjali", "Mehta"),
    ("Mr", "Tom", "Fitzgerald"), ("Mrs", "Joanna", "Nowicka"), ("Miss", "Laura", "Bennett"), ("Mr", "James", "Reid"),
    ("Mrs", "Grace", "Adebayo"), ("Ms", "Rachel", "Stone"), ("Mr", "Ewan", "MacLeod"), ("Mrs", "Claire", "Dunn"),
    ("Miss", "Hannah", "Price"), ("Mr", "Sanjay", "Gill"), ("Mrs", "Catrin", "Morgan"), ("Ms", "Lucy", "Fenwick"),
]
CLASS_NAMES = {
    "N1": ["Nursery Ladybirds"],
    "N2": ["Nursery Bumblebees"],
    "R": ["Reception Robins", "Reception Wrens"],
    "Y1": ["Year 1 Oak", "Year 1 Ash"],
    "Y2": ["Year 2 Birch", "Year 2 Elm"],
    "Y3": ["Year 3 Hazel", "Year 3 Holly"],
    "Y4": ["Year 4 Maple", "Year 4 Rowan"],
    "Y5": ["Year 5 Willow", "Year 5 Cedar"],
    "Y6": ["Year 6 Pine", "Year 6 Yew"],
}
PUPILS_PER_CLASS = {"N1": 16, "N2": 20}
DEFAULT_CLASS_SIZE = 26


def demo_upn(serial: int) -> str:
    body = f"8262001{26:02d}{serial:03d}"[:12].rjust(12, "0")
    return upn_check_letter(body) + body


class Command(BaseCommand):
    help = "Create or top up the demo school (slug 'demo') with classes, pupils, staff and the four demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password for the four demo logins and pupils")

    @transaction.atomic
    def handle(self, *args, password, **options):
        rng = random.Random(2026)
        school, _ = School.objects.get_or_create(
            slug="demo", defaults={"name": "Riverside Primary School (demo)", "phase": School.Phase.PRIMARY}
        )
        today = school.local_today()
        term_start = date(today.year if today.month >= 9 else today.year - 1, 9, 4)
        # One hash shared by every demo pupil: hashing 400 passwords would take a minute.
        hashed = make_password(password)

        groups = {}
        for year_group, names in CLASS_NAMES.items():
            for name in names:
                group, _ = Group.objects.get_or_create(school=school, name=name, defaults={"year_group": year_group})
                groups[name] = group

        existing_pupils = User.objects.filter(school=school, role=Role.PUPIL).count()
        if existing_pupils == 0:
            serial = 0
            pupils, memberships = [], []
            used_usernames = set()
            for year_group, names in CLASS_NAMES.items():
                for name in names:
                    for _ in range(PUPILS_PER_CLASS.get(year_group, DEFAULT_CLASS_SIZE)):
                        serial += 1
                        first, last = rng.choice(FORENAMES), rng.choice(SURNAMES)
                        username = f"demo{serial:04d}"
                        used_usernames.add(username)
                        pupil = User(
                            school=school, username=username, first_name=first, last_name=last, role=Role.PUPIL,
                            password=hashed, year_group=year_group, theme=theme_for_year_group(year_group),
                            admission_number=f"A{serial:04d}", upn=demo_upn(serial), mis_id=None,
                            start_date=term_start,
                        )
                        pupils.append(pupil)
                        memberships.append((pupil, groups[name]))
            User.objects.bulk_create(pupils, batch_size=500)
            GroupMembership.objects.bulk_create(
                [GroupMembership(group=g, user=p, role="pupil", start_date=term_start) for p, g in memberships]
            )
            self.stdout.write(f"Created {len(pupils)} pupils in {len(groups)} classes")

        # Staff: one teacher per class (the first is the demo teacher), attached to their class.
        class_list = [name for names in CLASS_NAMES.values() for name in names]
        for index, (title, first, last) in enumerate(STAFF):
            username = "demo-teacher" if index == 0 else f"demo-staff{index:02d}"
            teacher, created = User.objects.get_or_create(
                username=username,
                defaults=dict(school=school, first_name=first, last_name=last, role=Role.STAFF, password=hashed,
                              email=f"{username}@riverside.example"),
            )
            if created:
                group = groups[class_list[(index + 14) % len(class_list)]]  # demo-teacher teaches Year 6 Pine
                GroupMembership.objects.create(group=group, user=teacher, role="teacher", start_date=term_start)

        logins = {
            "demo-superadmin": ("Priya", "Shah", Role.SUPERADMIN),
            "demo-admin": ("Karen", "Holt", Role.ADMIN),
            "demo-teacher": ("Helen", "Parker", Role.STAFF),
        }
        for username, (first, last, role) in logins.items():
            User.objects.update_or_create(
                username=username,
                defaults=dict(school=school, first_name=first, last_name=last, role=role, status="active",
                              is_active=True, password=hashed, email=f"{username}@riverside.example"),
            )
        pupil = User.objects.filter(school=school, role=Role.PUPIL, status="active", year_group="Y3").order_by("pk").first()
        if not User.objects.filter(username="demo-pupil").exists() and pupil is not None:
            pupil.username = "demo-pupil"
            pupil.save(update_fields=["username"])
        User.objects.filter(username="demo-pupil").update(password=hashed, status="active", is_active=True)

        if not User.objects.filter(school=school, status="leaver").exists():
            self._demo_leavers(school, today)

        for module_name in ("communities.demo", "misync.demo"):
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            module.seed(school, self.stdout.write)

        self.stdout.write(self.style.SUCCESS(f"Demo school ready: {school.name}"))
        self.stdout.write("Demo logins (all with password %r):" % password)
        for username in ("demo-superadmin", "demo-admin", "demo-teacher", "demo-pupil"):
            self.stdout.write(f"  {username}")

    def _demo_leavers(self, school, today):
        """Five pupils who left during the year, by hand, by import and by sync, for the Leavers folder."""
        from datetime import timedelta

        from accounts.models import LeftVia
        from accounts.services.audit import AuditContext
        from accounts.services.leavers import accounts_mark_left

        pupils = list(
            User.objects.filter(school=school, role=Role.PUPIL, status="active").exclude(username="demo-pupil").order_by("pk")
        )[7::83][:5]
        ctx = AuditContext(school=school, actor=None, source="demo data")
        ways = [LeftVia.HAND, LeftVia.IMPORT, LeftVia.SYNC, LeftVia.HAND, LeftVia.IMPORT]
        for pupil, via, days_ago in zip(pupils, ways, (12, 40, 75, 110, 150)):
            accounts_mark_left(ctx=ctx, account_ids={pupil.pk}, leave_date=today - timedelta(days=days_ago), via=via)
        self.stdout.write(f"Made {len(pupils)} demo pupils leavers")
