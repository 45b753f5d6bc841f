"""Schools, accounts, class groups, memberships and the audit log (DESIGN §2).

Models keep single-row rules only; anything that touches several rows lives in services.
"""

import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone as dj_timezone

# --- Year groups and themes -------------------------------------------------------------

YEAR_GROUPS = ["N1", "N2", "R", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6"]
YEAR_GROUP_LABELS = {
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


class YearGroup(models.TextChoices):
    N1 = "N1", "Nursery 1"
    N2 = "N2", "Nursery 2"
    R = "R", "Reception"
    Y1 = "Y1", "Year 1"
    Y2 = "Y2", "Year 2"
    Y3 = "Y3", "Year 3"
    Y4 = "Y4", "Year 4"
    Y5 = "Y5", "Year 5"
    Y6 = "Y6", "Year 6"


class Theme(models.TextChoices):
    EARLY_YEARS = "early_years", "Early Years"
    STARTER = "starter", "Starter"
    IMPROVER = "improver", "Improver"


def year_group_rank(year_group: str | None) -> int:
    """Position in the school: N1 = 0 … Y6 = 8; unknown sorts last."""
    try:
        return YEAR_GROUPS.index(year_group)
    except ValueError:
        return len(YEAR_GROUPS)


def next_year_group(year_group: str | None) -> str | None:
    """The year group a pupil moves up into, or None after Year 6."""
    rank = year_group_rank(year_group)
    if rank + 1 < len(YEAR_GROUPS):
        return YEAR_GROUPS[rank + 1]
    return None


def theme_for_year_group(year_group: str | None) -> str:
    """EYFS (N1, N2, R) → Early Years, KS1 (Y1, Y2) → Starter, KS2 (Y3–Y6) → Improver."""
    if year_group in ("N1", "N2", "R"):
        return Theme.EARLY_YEARS
    if year_group in ("Y1", "Y2"):
        return Theme.STARTER
    return Theme.IMPROVER


# --- UPN ----------------------------------------------------------------------------------

# DfE's check-letter alphabet: 23 letters, no I, O or S.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn_check_letter(body: str) -> str:
    """The check letter for the last 12 characters of a UPN (DfE algorithm, weights 2…13, mod 23).

    The 13th character may be a letter (a temporary UPN); it counts as its position in the
    check-letter alphabet.
    """
    total = 0
    for weight, char in enumerate(body, start=2):
        if char.isdigit():
            value = int(char)
        else:
            value = UPN_LETTERS.index(char)
        total += value * weight
    return UPN_LETTERS[total % 23]


def validate_upn(value: str) -> None:
    upn = (value or "").strip().upper()
    if len(upn) != 13:
        raise ValidationError("A UPN is 13 characters long", code="upn_length")
    if upn[0] not in UPN_LETTERS or not upn[1:12].isdigit() or not (upn[12].isdigit() or upn[12] in UPN_LETTERS):
        raise ValidationError(
            "A UPN is a letter, then 11 digits, then a digit or letter (for example A123456789012)",
            code="upn_format",
        )
    if upn_check_letter(upn[1:]) != upn[0]:
        raise ValidationError("This UPN's check letter is wrong; check it has been typed correctly", code="upn_check")


def normalise_upn(value: str | None) -> str | None:
    upn = (value or "").strip().upper().replace(" ", "")
    return upn or None


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Europe/London") from None


# --- School -------------------------------------------------------------------------------


class School(models.Model):
    class Phase(models.TextChoices):
        INFANT = "infant", "Infant (Nursery to Year 2)"
        JUNIOR = "junior", "Junior (Year 3 to Year 6)"
        PRIMARY = "primary", "Primary (Nursery to Year 6)"

    class UsernameScheme(models.TextChoices):
        FORENAME_INITIAL = "forename_initial", "Forename and surname initial (zoeo)"
        INITIAL_SURNAME = "initial_surname", "Forename initial and surname (zobrien)"
        FORENAME_SURNAME = "forename_surname", "Forename and surname (zoe.obrien)"

    class PasswordStyle(models.TextChoices):
        WORD_DIGITS = "word_digits", "A short word and two digits (tiger42)"
        TWO_WORDS = "two_words", "Two short words and a digit (redtiger4)"
        RANDOM = "random", "Ten random letters and digits"

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.PRIMARY)
    timezone = models.CharField(max_length=64, default="Europe/London", validators=[validate_timezone])
    username_scheme = models.CharField(
        max_length=20, choices=UsernameScheme.choices, default=UsernameScheme.FORENAME_INITIAL
    )
    password_style = models.CharField(max_length=20, choices=PasswordStyle.choices, default=PasswordStyle.WORD_DIGITS)
    leaver_retention_days = models.PositiveIntegerField(
        default=183,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Leavers are deleted for good this many days after they left (6 months by default, at most 12).",
    )
    # Sync safety (DESIGN §5): a run that would make more pupils vanish than either limit is held.
    sync_hold_percent = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    sync_hold_count = models.PositiveIntegerField(default=50, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(phase__in=["infant", "junior", "primary"]), name="school_phase_valid"),
            models.CheckConstraint(
                condition=Q(leaver_retention_days__gte=1, leaver_retention_days__lte=366),
                name="school_retention_range",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_now(self):
        return dj_timezone.now().astimezone(self.tzinfo)

    def local_today(self):
        return self.local_now().date()

    @property
    def leavers_year_group(self) -> str:
        """The year group that leaves in July: Year 2 in an infant school, otherwise Year 6."""
        return "Y2" if self.phase == self.Phase.INFANT else "Y6"

    @property
    def year_groups(self) -> list[str]:
        if self.phase == self.Phase.INFANT:
            return YEAR_GROUPS[: YEAR_GROUPS.index("Y2") + 1]
        if self.phase == self.Phase.JUNIOR:
            return YEAR_GROUPS[YEAR_GROUPS.index("Y3") :]
        return list(YEAR_GROUPS)


# --- Accounts -----------------------------------------------------------------------------


class Role(models.TextChoices):
    PUPIL = "pupil", "Pupil"
    STAFF = "staff", "Staff"
    ADMIN = "admin", "Admin"
    SUPERADMIN = "superadmin", "Superadmin"
    OPERATOR = "operator", "Operator"


ADMIN_ROLES = (Role.ADMIN, Role.SUPERADMIN)
STAFF_ROLES = (Role.STAFF, Role.ADMIN, Role.SUPERADMIN)


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    LEAVER = "leaver", "Leaver"


class LeftVia(models.TextChoices):
    HAND = "hand", "By hand"
    IMPORT = "import", "By import"
    SYNC = "sync", "By MIS sync"
    WIZARD = "wizard", "Rollover wizard"


class AccountManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    """One login. Operators (the platform's support staff) have no school; everyone else has one."""

    email = models.EmailField(blank=True)
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="accounts")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PUPIL)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)

    # Pupil details (blank for staff).
    upn = models.CharField("UPN", max_length=13, null=True, blank=True)
    admission_number = models.CharField(max_length=20, null=True, blank=True)
    mis_id = models.CharField("MIS id", max_length=64, null=True, blank=True)
    year_group = models.CharField(max_length=2, choices=YearGroup.choices, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    leave_date = models.DateField(null=True, blank=True)
    left_via = models.CharField(max_length=8, choices=LeftVia.choices, blank=True)
    theme = models.CharField(max_length=12, choices=Theme.choices, default=Theme.IMPROVER)
    theme_pinned = models.BooleanField(
        default=False, help_text="Pinned by an admin: the theme no longer follows the year group."
    )

    objects = AccountManager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                fields=["school", "upn"], condition=Q(upn__isnull=False), name="user_upn_unique_in_school"
            ),
            models.UniqueConstraint(
                fields=["school", "admission_number"],
                condition=Q(admission_number__isnull=False),
                name="user_admission_number_unique_in_school",
            ),
            models.UniqueConstraint(
                fields=["school", "mis_id"], condition=Q(mis_id__isnull=False), name="user_mis_id_unique_in_school"
            ),
            models.CheckConstraint(condition=Q(role__in=[r.value for r in Role]), name="user_role_valid"),
            models.CheckConstraint(condition=Q(status__in=["active", "leaver"]), name="user_status_valid"),
            models.CheckConstraint(
                condition=Q(theme__in=[t.value for t in Theme]), name="user_theme_valid"
            ),
            models.CheckConstraint(
                condition=Q(year_group="") | Q(year_group__in=YEAR_GROUPS), name="user_year_group_valid"
            ),
            # Everyone but an operator belongs to a school.
            models.CheckConstraint(
                condition=Q(role="operator") | Q(school__isnull=False), name="user_school_required"
            ),
            # A leaver can never log in.
            models.CheckConstraint(condition=~Q(status="leaver", is_active=True), name="user_leaver_inactive"),
        ]
        indexes = [
            # Accounts tab: a school's accounts filtered by role/status, ordered by name.
            models.Index(fields=["school", "role", "status", "last_name", "first_name"], name="user_school_list_idx"),
            # Leavers folder and the daily purge: a school's leavers by leave date.
            models.Index(fields=["school", "status", "leave_date"], name="user_school_leavers_idx"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        self.upn = normalise_upn(self.upn)
        if self.upn:
            validate_upn(self.upn)
        self.admission_number = (self.admission_number or "").strip() or None
        self.mis_id = (self.mis_id or "").strip() or None
        if self.role != Role.OPERATOR and not self.school_id:
            raise ValidationError({"school": "Choose the school this account belongs to"})

    @property
    def is_pupil(self) -> bool:
        return self.role == Role.PUPIL

    @property
    def is_school_admin(self) -> bool:
        return self.role in ADMIN_ROLES and self.status == Status.ACTIVE

    @property
    def is_superadmin(self) -> bool:
        return self.role == Role.SUPERADMIN and self.status == Status.ACTIVE

    @property
    def is_leaver(self) -> bool:
        return self.status == Status.LEAVER

    @property
    def year_group_label(self) -> str:
        return YEAR_GROUP_LABELS.get(self.year_group, "")

    def theme_follows(self) -> str:
        """The theme this account should have now (its pinned one, or the one its year group implies)."""
        if self.theme_pinned or not self.is_pupil:
            return self.theme
        return theme_for_year_group(self.year_group)


# --- Groups -------------------------------------------------------------------------------


class Group(models.Model):
    """A class folder. MIS-managed groups have an mis_id and the sync owns their name and members."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=100)
    year_group = models.CharField(max_length=2, choices=YearGroup.choices, blank=True)
    mis_id = models.CharField("MIS id", max_length=64, null=True, blank=True)
    mis_managed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="group_name_unique_in_school"),
            models.UniqueConstraint(
                fields=["school", "mis_id"], condition=Q(mis_id__isnull=False), name="group_mis_id_unique_in_school"
            ),
            models.CheckConstraint(
                condition=Q(mis_managed=False) | Q(mis_id__isnull=False), name="group_mis_managed_has_mis_id"
            ),
            models.CheckConstraint(
                condition=Q(year_group="") | Q(year_group__in=YEAR_GROUPS), name="group_year_group_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def year_group_label(self) -> str:
        return YEAR_GROUP_LABELS.get(self.year_group, "")


class GroupMembership(models.Model):
    """A pupil in a class, or a teacher attached to it, between two dates.

    Ending a membership sets end_date; rows are never deleted while the account exists, so
    the history of moves and leaving survives.
    """

    class Role(models.TextChoices):
        PUPIL = "pupil", "Pupil"
        TEACHER = "teacher", "Teacher"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.PUPIL)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=Q(end_date__isnull=True), name="membership_one_current_per_group"
            ),
            # A pupil is in one class at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(end_date__isnull=True, role="pupil"),
                name="membership_one_current_class_per_pupil",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(role__in=["pupil", "teacher"]), name="membership_role_valid"),
        ]
        indexes = [
            # Current members of a group (pupil counts, class lists).
            models.Index(fields=["group", "end_date", "role"], name="membership_current_idx"),
        ]

    def __str__(self):
        return f"{self.user} in {self.group}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None


# --- Audit --------------------------------------------------------------------------------


class AuditBatch(models.Model):
    """A set of changes made together: one bulk action, wizard step, import or sync run."""

    class Kind(models.TextChoices):
        BULK = "bulk", "Bulk action"
        WIZARD = "wizard", "Rollover wizard"
        IMPORT = "import", "Import"
        SYNC = "sync", "MIS sync"
        HANDOVER = "handover", "Community handover"
        SYSTEM = "system", "Scheduled task"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="audit_batches")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=200)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label


class AuditEntry(models.Model):
    """Who did what to which account, group or community, when, and from where.

    Labels are copied at write time so an entry still reads correctly after the account,
    group or community it names has been deleted.
    """

    class TargetType(models.TextChoices):
        ACCOUNT = "account", "Account"
        GROUP = "group", "Class"
        COMMUNITY = "community", "Community"
        SCHOOL = "school", "School"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="audit_entries")
    created_at = models.DateTimeField(default=dj_timezone.now)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200)
    detail = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=60, help_text="The screen, command or sync run the change came from.")
    batch = models.ForeignKey(AuditBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            # Audit log page: a school's entries newest first, optionally by target.
            models.Index(fields=["school", "-created_at"], name="audit_school_recent_idx"),
            models.Index(fields=["school", "target_type", "target_id"], name="audit_school_target_idx"),
        ]

    def __str__(self):
        return f"{self.actor_label} {self.action} {self.target_label}"


# --- Rollover wizard ----------------------------------------------------------------------


def academic_year_for(day) -> int:
    """The academic year a date belongs to, by the calendar year it started (Sept 2025–Aug 2026 → 2025).

    A July rollover closes the year that started the previous September, so the wizard's state
    for July 2026 lives under 2025 and a fresh run starts from September.
    """
    return day.year if day.month >= 9 else day.year - 1


class RolloverRun(models.Model):
    """The rollover wizard's progress for one school and academic year.

    Stored in the database so that it survives logging out and a second admin sees the same
    state. A step is completed when its `*_done_at` is set; each step's changes are one
    AuditBatch (kind "wizard").
    """

    class Step(models.TextChoices):
        LEAVERS = "leavers", "Make the leavers"
        CLASSES = "classes", "Delete and rename classes"
        YEAR_GROUPS = "year_groups", "Move pupils up a year group"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rollover_runs")
    academic_year = models.PositiveSmallIntegerField(help_text="The calendar year the academic year started in.")
    created_at = models.DateTimeField(default=dj_timezone.now)
    leavers_done_at = models.DateTimeField(null=True, blank=True)
    leavers_batch = models.ForeignKey(AuditBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    classes_done_at = models.DateTimeField(null=True, blank=True)
    classes_batch = models.ForeignKey(AuditBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    year_groups_done_at = models.DateTimeField(null=True, blank=True)
    year_groups_batch = models.ForeignKey(
        AuditBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-academic_year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year"], name="rollover_run_one_per_school_year"),
        ]

    def __str__(self):
        return f"{self.school} rollover {self.academic_year_label}"

    @property
    def academic_year_label(self) -> str:
        return f"{self.academic_year}/{(self.academic_year + 1) % 100:02d}"

    def done_at(self, step: str):
        return getattr(self, f"{step}_done_at")

    def is_done(self, step: str) -> bool:
        return self.done_at(step) is not None

# --- Spreadsheet import -------------------------------------------------------------------




class ImportJob(models.Model):
    """One uploaded spreadsheet, from its preview to the accounts it created.

    `rows` holds the validated rows as plain JSON *without* passwords. Passwords typed in the
    spreadsheet (and, while the job is hashing, the generated ones) live only in `secrets`,
    Fernet-encrypted, and are wiped when the job finishes or fails (DESIGN §5).
    """

    class Stage(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        QUEUED = "queued", "Queued"
        HASHING = "hashing", "Preparing passwords"
        SAVING = "saving", "Creating accounts"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    # The admin who uploaded the file; None for the import_pupils command.
    admin = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="import_jobs")
    file_name = models.CharField(max_length=255)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.PREVIEW)
    create_groups = models.BooleanField(default=False)
    rows = models.JSONField(default=list, blank=True)
    file_problems = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    missing_groups = models.JSONField(default=list, blank=True)
    included_rows = models.JSONField(default=list, blank=True, help_text="Likely duplicates the admin ticked to import.")
    new_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    secrets = models.BinaryField(null=True, blank=True, editable=False)
    credentials_token = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    batch = models.ForeignKey(AuditBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=["preview", "queued", "hashing", "saving", "done", "failed"]),
                name="importjob_stage_valid",
            ),
        ]
        indexes = [
            # Clearing out abandoned previews: jobs by stage and age.
            models.Index(fields=["stage", "created_at"], name="importjob_stage_age_idx"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_stage_display()})"

    @property
    def is_running(self) -> bool:
        return self.stage in (self.Stage.QUEUED, self.Stage.HASHING, self.Stage.SAVING)

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
