"""MIS connection settings, sync runs and the changes each run made (DESIGN §3, §5, §7)."""

import base64
import hashlib
import json
from datetime import time

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Group, School, User

CONNECTOR_CHOICES = [
    ("xporter", "Groupcall Xporter on Demand"),
    ("wonde", "Wonde"),
    ("oneroster", "OneRoster 1.1 CSV"),
    ("csv", "Plain CSV or XLSX export"),
]


def _fernet() -> Fernet:
    key = hashlib.sha256(("mis-credentials:" + settings.SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


class MisConnection(models.Model):
    """How one school's MIS export is read. Credentials are stored encrypted and never shown back."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="mis_connection")
    connector = models.CharField(max_length=20, choices=CONNECTOR_CHOICES, default="xporter")
    base_url = models.CharField("Base URL or path", max_length=500, blank=True)
    school_ref = models.CharField("School or establishment id", max_length=100, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    # The last two characters of the secret, so the settings page can say "set, ends in …4f".
    credentials_hint = models.CharField(max_length=4, blank=True, editable=False)
    enabled = models.BooleanField(default=False)
    nightly_time = models.TimeField(default=time(2, 30), help_text="In the school's own time zone.")
    pause_until = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # When `enabled` last turned on: a school with no successful sync for 36 hours after this is
    # flagged. Null on connections saved before it existed; read as `updated_at` then.
    enabled_at = models.DateTimeField(null=True, blank=True)
    # Sync-health alerting (misync.monitoring.sync_health_check): the cause code last alerted
    # ("" never, "healthy" after a recovery e-mail), when, and which e-mail it was.
    alert_state = models.CharField(max_length=20, blank=True, editable=False)
    alert_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    alert_kind = models.CharField(max_length=10, blank=True, editable=False)

    def __str__(self):
        return f"{self.school} via {self.get_connector_display()}"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    def set_credentials(self, credentials: dict) -> None:
        """Encrypt and keep `credentials`; an empty dict clears them."""
        if not credentials:
            self.credentials_encrypted = ""
            self.credentials_hint = ""
            return
        self.credentials_encrypted = _fernet().encrypt(json.dumps(credentials).encode()).decode()
        secret = str(credentials.get("secret") or "")
        self.credentials_hint = secret[-2:] if len(secret) >= 6 else ""

    def get_credentials(self) -> dict:
        if not self.credentials_encrypted:
            return {}
        try:
            return json.loads(_fernet().decrypt(self.credentials_encrypted.encode()))
        except (InvalidToken, ValueError):
            return {}

    @property
    def enabled_since(self):
        return self.enabled_at or self.updated_at

    def is_paused(self, today) -> bool:
        return self.pause_until is not None and today <= self.pause_until


class SyncRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        HELD = "held", "Held"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", "Nightly"
        MANUAL = "manual", "Sync now"
        APPROVE = "approve", "Approved"

    ACTIVE_STATUSES = ("queued", "running")
    COUNT_FIELDS = (
        "created",
        "updated",
        "moved",
        "left",
        "reinstated",
        "groups_created",
        "groups_removed",
        "staff_created",
        "staff_updated",
    )

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="sync_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    for_date = models.DateField(help_text="The school-local date the run plans for.")
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The connector name used (from the settings, or a command-line override).
    source = models.CharField(max_length=20, blank=True)
    source_as_of = models.DateTimeField(null=True, blank=True)
    fetch_ms = models.PositiveIntegerField(null=True, blank=True)
    plan_ms = models.PositiveIntegerField(null=True, blank=True)
    apply_ms = models.PositiveIntegerField(null=True, blank=True)

    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)
    reinstated = models.PositiveIntegerField(default=0)
    groups_created = models.PositiveIntegerField(default=0)
    groups_removed = models.PositiveIntegerField(default=0)
    staff_created = models.PositiveIntegerField(default=0)
    staff_updated = models.PositiveIntegerField(default=0)

    # A held run keeps its plan, the snapshot it came from and a fingerprint of the school
    # state it was planned against, so approving can check nothing changed in between.
    held_plan = models.JSONField(null=True, blank=True)
    held_snapshot = models.JSONField(null=True, blank=True)
    state_fingerprint = models.CharField(max_length=64, blank=True)
    hold_reasons = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    error_kind = models.CharField(max_length=20, blank=True)
    error_message = models.TextField(blank=True)
    error_detail = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database-level claim: at most one queued or running run per school.
            models.UniqueConstraint(
                fields=["school"], condition=Q(status__in=["queued", "running"]), name="syncrun_one_active_per_school"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "held", "failed", "rejected"]),
                name="syncrun_status_valid",
            ),
        ]
        indexes = [
            # Runs page (a school's runs, newest first) and the beat's "a nightly run for today?".
            models.Index(fields=["school", "-created_at"], name="syncrun_school_recent_idx"),
            models.Index(fields=["school", "trigger", "for_date"], name="syncrun_school_day_idx"),
        ]

    def __str__(self):
        return f"Sync run #{self.pk} ({self.status})"

    @property
    def counts(self) -> dict:
        return {name: getattr(self, name) for name in self.COUNT_FIELDS}

    @property
    def total_changes(self) -> int:
        return sum(self.counts.values())


class SyncChange(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        MOVED = "moved", "Moved"
        LEFT = "left", "Left"
        REINSTATED = "reinstated", "Reinstated"
        GROUP_CREATED = "group_created", "Class created"
        GROUP_UPDATED = "group_updated", "Class updated"
        GROUP_REMOVED = "group_removed", "Class removed"
        STAFF_CREATED = "staff_created", "Staff created"
        STAFF_UPDATED = "staff_updated", "Staff updated"
        TEACHER_ADDED = "teacher_added", "Teacher added to class"
        TEACHER_REMOVED = "teacher_removed", "Teacher removed from class"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    account = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    label = models.CharField(max_length=200)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Run detail page: one run's changes, optionally of one kind.
            models.Index(fields=["run", "kind"], name="syncchange_run_kind_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label}"


class LoginIssue(models.Model):
    """An admin's request to give a class's pupils passwords, processed in chunks by a task.

    Progress lives here so the page can show it; the passwords themselves never touch the
    database: the task hands them to accounts.credential_sheets (encrypted cache) and records
    only the sheet's token, which is useless to anyone but the admin who asked.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "In progress"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="login_issues")
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, related_name="+")
    group_name = models.CharField(max_length=100)
    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    include_all = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    sheet_token = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Logins for {self.group_name}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)
