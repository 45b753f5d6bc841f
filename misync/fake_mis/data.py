"""The fake MIS's data: a plain, frozen description of one school, and pure ways to make one."""

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

YEAR_NAMES = {
    "N1": "Nursery 1",
    "N2": "Nursery 2",
    "R": "Reception",
    "Y1": "Year 1",
    "Y2": "Year 2",
    "Y3": "Year 3",
    "Y4": "Year 4",
    "Y5": "Year 5",
    "Y6": "Year 6",
}

# --- The data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeClass:
    mis_id: str
    name: str
    code: str
    year_group: str = ""


@dataclass(frozen=True)
class FakePupil:
    mis_id: str
    forename: str
    surname: str
    year_group: str
    class_id: str | None
    upn: str | None = None
    admission_number: str | None = None
    start_date: date | None = None
    leave_date: date | None = None
    date_of_birth: date | None = None


@dataclass(frozen=True)
class FakeStaff:
    mis_id: str
    title: str
    forename: str
    surname: str
    class_ids: tuple[str, ...] = ()
    email: str | None = None
    is_teacher: bool = True


@dataclass(frozen=True)
class FakeSchoolData:
    name: str
    school_ref: str  # the Xporter estab
    wonde_id: str  # the Wonde school id
    classes: tuple[FakeClass, ...]
    pupils: tuple[FakePupil, ...]
    staff: tuple[FakeStaff, ...]

    @classmethod
    def from_school(cls, school) -> "FakeSchoolData":
        """The school's active pupils, its classes and its class teachers, as an MIS would list them."""
        from accounts.models import GroupMembership, Role, Status, User

        classes = []
        class_ids = {}
        for group in school.groups.order_by("name", "pk"):
            class_ids[group.pk] = group.mis_id or str(group.pk)
            classes.append(
                FakeClass(
                    mis_id=class_ids[group.pk],
                    name=group.name,
                    code=_class_code(group.name),
                    year_group=group.year_group,
                )
            )
        current = {
            m["user_id"]: m["group_id"]
            for m in GroupMembership.objects.filter(group__school=school, end_date__isnull=True, role="pupil").values(
                "user_id", "group_id"
            )
        }
        pupils = [
            FakePupil(
                mis_id=row["mis_id"] or str(row["pk"]),
                forename=row["first_name"],
                surname=row["last_name"],
                year_group=row["year_group"],
                class_id=class_ids.get(current.get(row["pk"])),
                upn=row["upn"],
                admission_number=row["admission_number"],
                start_date=row["start_date"],
                leave_date=row["leave_date"],
                date_of_birth=row["date_of_birth"],
            )
            for row in User.objects.filter(school=school, role=Role.PUPIL, status=Status.ACTIVE)
            .order_by("pk")
            .values(
                "pk",
                "mis_id",
                "first_name",
                "last_name",
                "year_group",
                "upn",
                "admission_number",
                "start_date",
                "leave_date",
                "date_of_birth",
            )
        ]
        teaching = {}
        for m in GroupMembership.objects.filter(group__school=school, end_date__isnull=True, role="teacher").values(
            "user_id", "group_id"
        ):
            teaching.setdefault(m["user_id"], []).append(class_ids[m["group_id"]])
        staff = [
            FakeStaff(
                mis_id=row["mis_id"] or str(row["pk"]),
                title="",
                forename=row["first_name"],
                surname=row["last_name"],
                class_ids=tuple(sorted(teaching.get(row["pk"], []))),
                email=row["email"] or None,
                is_teacher=bool(teaching.get(row["pk"])),
            )
            for row in User.objects.filter(school=school, role=Role.STAFF, status=Status.ACTIVE)
            .order_by("pk")
            .values("pk", "mis_id", "first_name", "last_name", "email")
        ]
        return cls(
            name=school.name,
            school_ref=str(8260000 + school.pk),
            wonde_id=f"A{8260000 + school.pk}",
            classes=tuple(classes),
            pupils=tuple(pupils),
            staff=tuple(staff),
        )

    @classmethod
    def generate(
        cls,
        *,
        n_pupils: int,
        seed: int = 0,
        class_size: int = 30,
        name: str = "",
        school_ref: str = "",
        term_start: date = date(2025, 9, 3),
    ) -> "FakeSchoolData":
        """A primary school of `n_pupils` spread evenly over Reception to Year 6, two or more classes
        per year, one teacher per class, with valid UPNs. Pure: the same arguments give the same data."""
        from accounts.models import upn_check_letter

        rng = random.Random(seed)
        years = ["R", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6"]
        per_year = -(-n_pupils // len(years))
        classes_per_year = max(1, -(-per_year // class_size))
        classes, staff = [], []
        for y_index, year in enumerate(years):
            for c_index in range(classes_per_year):
                class_id = str(100 + y_index * 10 + c_index)
                label = f"{YEAR_NAMES[year]} {_TREES[c_index % len(_TREES)]}"
                if c_index >= len(_TREES):
                    label += f" {c_index // len(_TREES) + 1}"
                classes.append(FakeClass(mis_id=class_id, name=label, code=_class_code(label), year_group=year))
                title, forename, surname = rng.choice(_TITLES), rng.choice(_STAFF_FORENAMES), rng.choice(_SURNAMES)
                staff_id = str(5000 + len(staff))
                staff.append(
                    FakeStaff(
                        mis_id=staff_id,
                        title=title,
                        forename=forename,
                        surname=surname,
                        class_ids=(class_id,),
                        email=f"staff{staff_id}@school.example",
                    )
                )
        by_year = {year: [c for c in classes if c.year_group == year] for year in years}
        pupils = []
        school_number = seed % 1000
        for serial in range(n_pupils):
            year = years[serial % len(years)]
            year_classes = by_year[year]
            klass = year_classes[(serial // len(years)) % len(year_classes)]
            body = f"8{school_number:03d}{serial:08d}"
            entry_year = term_start.year - years.index(year)
            pupils.append(
                FakePupil(
                    mis_id=str(10000 + serial),
                    forename=rng.choice(_FORENAMES),
                    surname=rng.choice(_SURNAMES),
                    year_group=year,
                    class_id=klass.mis_id,
                    upn=upn_check_letter(body) + body,
                    admission_number=f"{serial + 1:06d}",
                    start_date=date(entry_year, 9, 3),
                    date_of_birth=date(entry_year - 5, 1 + serial % 12, 1 + serial % 28),
                )
            )
        return cls(
            name=name or f"Generated Primary {seed}",
            school_ref=school_ref or str(8260000 + school_number),
            wonde_id=f"A{school_ref or 8260000 + school_number}",
            classes=tuple(classes),
            pupils=tuple(pupils),
            staff=tuple(staff),
        )

    def year_end(self, *, today: date, starters: int = 5) -> "FakeSchoolData":
        """The same school on the last day of the summer term, as the MIS shows it that night:
        the leaving year has a leave date of `today`, a few Reception starters began two days
        ago (so the sync creates them tonight), and every tenth pupil of a year with two or
        more classes has moved to the next class of that year."""
        present = {p.year_group for p in self.pupils if p.year_group}
        leaving_year = max(present, key=_year_rank) if present else None
        classes_by_year = {}
        for klass in self.classes:
            if klass.year_group:
                classes_by_year.setdefault(klass.year_group, []).append(klass.mis_id)
        pupils = []
        seen_in_year: dict[str, int] = {}
        for pupil in sorted(self.pupils, key=lambda p: p.mis_id):
            if pupil.year_group == leaving_year:
                pupil = replace(pupil, leave_date=today)
            else:
                seen_in_year[pupil.year_group] = seen_in_year.get(pupil.year_group, 0) + 1
                options = classes_by_year.get(pupil.year_group, [])
                if len(options) > 1 and pupil.class_id in options and seen_in_year[pupil.year_group] % 10 == 0:
                    pupil = replace(pupil, class_id=options[(options.index(pupil.class_id) + 1) % len(options)])
            pupils.append(pupil)

        classes = list(self.classes)
        reception = classes_by_year.get("R")
        if reception:
            starter_class = reception[0]
        else:
            starter_class = _unused_id({c.mis_id for c in classes}, 900)
            classes.append(FakeClass(mis_id=starter_class, name="Reception Starters", code="RS", year_group="R"))
        from accounts.models import upn_check_letter

        taken_ids = {p.mis_id for p in pupils}
        taken_admissions = {p.admission_number for p in pupils}
        taken_upns = {p.upn for p in pupils}
        serial = 0
        for index in range(starters):
            mis_id = _unused_id(taken_ids, 900000 + index)
            taken_ids.add(mis_id)
            while True:
                serial += 1
                body = f"99{today.year % 100:02d}{serial:08d}"
                upn, admission = upn_check_letter(body) + body, f"S{today.year % 100:02d}{serial:04d}"
                if upn not in taken_upns and admission not in taken_admissions:
                    break
            pupils.append(
                FakePupil(
                    mis_id=mis_id,
                    forename=_FORENAMES[(index * 7) % len(_FORENAMES)],
                    surname=_SURNAMES[(index * 11) % len(_SURNAMES)],
                    year_group="R",
                    class_id=starter_class,
                    upn=upn,
                    admission_number=admission,
                    start_date=today - timedelta(days=2),
                    date_of_birth=date(today.year - 5, 1 + index % 12, 10),
                )
            )
        return replace(self, classes=tuple(classes), pupils=tuple(pupils))


def _year_rank(year_group: str) -> int:
    order = ["N1", "N2", "R", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6"]
    return order.index(year_group) if year_group in order else -1


def _unused_id(taken: set[str], start: int) -> str:
    candidate = start
    while str(candidate) in taken:
        candidate += 1
    return str(candidate)


def _class_code(name: str) -> str:
    words = name.split()
    if len(words) >= 3 and words[0].lower() == "year":
        return f"{words[1]}{words[2][:1].upper()}"
    return "".join(word[:1].upper() for word in words)[:6] or "CL"


_TREES = ["Oak", "Ash", "Birch", "Elm", "Hazel", "Holly", "Maple", "Rowan"]
_TITLES = ["Mrs", "Mr", "Miss", "Ms"]
_STAFF_FORENAMES = ["Helen", "David", "Sarah", "Anjali", "Tom", "Joanna", "Laura", "James", "Grace", "Ewan"]
_FORENAMES = [
    "Amelia",
    "Oliver",
    "Zoë",
    "Muhammad",
    "Siobhán",
    "Łukasz",
    "Aisha",
    "Noah",
    "Freya",
    "Leo",
    "Priya",
    "Kwame",
    "Isla",
    "Oscar",
    "Chloé",
    "Mateusz",
    "Fatima",
    "Harry",
    "Niamh",
    "Arjun",
    "Grace",
    "Jack",
    "Amara",
    "Yusuf",
]
_SURNAMES = [
    "Smith",
    "Jones",
    "O'Brien",
    "Nguyễn",
    "Kowalski",
    "Patel",
    "Okafor",
    "Williams",
    "Brown",
    "Taylor",
    "Khan",
    "Davies",
    "Evans",
    "Wilson",
    "Ahmed",
    "Murphy",
    "Wiśniewska",
    "Mensah",
    "Hughes",
    "Ali",
    "Chen",
    "Singh",
]
