"""Committing an import: chunked hashing with progress, one transaction, nothing half-imported."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.importer import commit
from accounts.importer.commit import import_job_create, import_job_run, import_job_start, import_jobs_expire
from accounts.models import AuditBatch, AuditEntry, Group, GroupMembership, ImportJob, User
from accounts.services.leavers import RefusedError

from .files import xlsx_bytes

pytestmark = pytest.mark.django_db


def make_job(people, rows, *, create_groups=False, header=("Forename", "Surname", "Group")):
    return import_job_create(
        school=people.school_a,
        admin=people.admin,
        file_name="september.xlsx",
        data=xlsx_bytes(rows, header=list(header)),
        create_groups=create_groups,
    )


def start(job, include=()):
    return import_job_start(job=job, include_rows=set(include), enqueue=False)


class CommitTests:
    def test_a_commit_that_fails_on_its_last_row_leaves_nothing(self, people):
        rows = [[f"Pupil{i}", "Smith", "Year 9 New"] for i in range(30)] + [["Zoë", "O'Brien", "Year 9 New"]]
        job = make_job(people, rows, create_groups=True)
        assert job.rows[-1]["username"] == "zoeo"
        start(job)
        # Between the preview and the commit, another school's admin takes the last row's username.
        User.objects.create_user(username="ZoeO", password="x" * 8, school=people.school_b, role="pupil")
        accounts_before = User.objects.count()
        memberships_before = GroupMembership.objects.count()

        job = import_job_run(job_id=job.pk, chunk_size=10)

        assert job.stage == "failed"
        assert "“zoeo” was taken by another account after the preview" in job.message
        assert User.objects.count() == accounts_before
        assert GroupMembership.objects.count() == memberships_before
        assert not Group.objects.filter(name="Year 9 New").exists()
        assert not AuditBatch.objects.filter(kind="import").exists()
        assert not AuditEntry.objects.filter(source__startswith="import").exists()
        assert job.secrets is None and job.credentials_token == ""

    def test_an_admission_number_taken_after_the_preview_leaves_nothing(self, people):
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak", "55"], ["Ben", "Ray", "Year 3 Oak", "56"]],
                       header=("Forename", "Surname", "Group", "Admission number"))
        start(job)
        User.objects.filter(pk=people.teacher.pk).update(admission_number="56")
        job = import_job_run(job_id=job.pk)
        assert job.stage == "failed"
        assert "admission number 56 was given to another account" in job.message
        assert not User.objects.filter(first_name__in=["Amy", "Ben"]).exists()

    def test_passwords_are_hashed_in_chunks_with_progress_recorded_before_any_account_exists(self, people, monkeypatch):
        job = make_job(people, [[f"Pupil{i}", "Smith", "Year 3 Oak"] for i in range(23)])
        start(job)
        seen = []
        real = commit.make_password

        def observing_make_password(password):
            row = ImportJob.objects.values("stage", "progress_done").get(pk=job.pk)
            seen.append((row["stage"], row["progress_done"], User.objects.filter(first_name__startswith="Pupil1").count()))
            return real(password)

        monkeypatch.setattr(commit, "make_password", observing_make_password)
        job = import_job_run(job_id=job.pk, chunk_size=10)
        assert job.stage == "done" and job.created_count == 23
        assert [done for _, done, _ in seen] == [0] * 10 + [10] * 10 + [20] * 3
        assert {stage for stage, _, _ in seen} == {"hashing"}
        assert {existing for _, _, existing in seen} == {0}
        assert job.progress_done == job.progress_total == 23

    def test_a_job_runs_once_even_if_the_task_is_delivered_twice(self, people):
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak"]])
        start(job)
        assert import_job_run(job_id=job.pk).stage == "done"
        assert import_job_run(job_id=job.pk) is None
        assert User.objects.filter(first_name="Amy").count() == 1

    def test_a_job_whose_worker_died_part_way_is_run_again_once_stale(self, people):
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak"]])
        start(job)
        ImportJob.objects.filter(pk=job.pk).update(stage="hashing", progress_done=1)
        assert import_job_run(job_id=job.pk) is None  # still being worked on
        ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
        assert import_job_run(job_id=job.pk).stage == "done"
        assert User.objects.filter(first_name="Amy").count() == 1

    def test_an_unexpected_failure_marks_the_job_failed_and_wipes_its_secrets(self, people, monkeypatch):
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak", "", "typed-secret"]],
                       header=("Forename", "Surname", "Group", "Username", "Password"))
        start(job)

        def broken_hasher(password):
            raise OSError("hashing library unavailable")

        monkeypatch.setattr(commit, "make_password", broken_hasher)
        job = import_job_run(job_id=job.pk)
        assert job.stage == "failed" and job.secrets is None
        assert job.message.startswith("Something went wrong while importing, so nothing was imported.")
        assert not User.objects.filter(first_name="Amy").exists()

    def test_typed_passwords_that_expired_stop_the_import_rather_than_being_replaced(self, people, time_machine):
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak", "", "typed-secret"]],
                       header=("Forename", "Surname", "Group", "Username", "Password"))
        start(job)
        time_machine.move_to(timezone.now() + timedelta(hours=25), tick=False)
        job = import_job_run(job_id=job.pk)
        assert job.stage == "failed"
        assert "have expired" in job.message
        assert not User.objects.filter(first_name="Amy").exists()

    def test_an_unconfirmed_preview_is_never_run(self, people):
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak"]])
        assert import_job_run(job_id=job.pk) is None
        assert not User.objects.filter(first_name="Amy").exists()

    def test_a_preview_with_errors_cannot_be_started(self, people):
        job = make_job(people, [["Amy", "", "Year 3 Oak"]])
        with pytest.raises(RefusedError):
            start(job)

    def test_generated_passwords_follow_the_schools_style_and_are_hashed_with_argon2(self, people, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
        job = make_job(people, [["Amy", "Khan", "Year 3 Oak"]])
        start(job)
        job = import_job_run(job_id=job.pk)
        amy = User.objects.get(first_name="Amy")
        assert amy.password.startswith("argon2")
        from accounts.credential_sheets import credential_sheet_load

        sheet = credential_sheet_load(admin=people.admin, token=job.credentials_token)
        (row,) = sheet.rows
        assert row.username == "amyk" and row.group == "Year 3 Oak"
        assert amy.check_password(row.password)
        assert len(row.password) >= 6 and not set(row.password) & set("01lIO")


class ExpiryTests:
    def test_abandoned_previews_are_deleted_with_their_encrypted_passwords(self, people):
        old = make_job(people, [["Amy", "Khan", "Year 3 Oak", "", "secret-one"]],
                       header=("Forename", "Surname", "Group", "Username", "Password"))
        fresh = make_job(people, [["Ben", "Ray", "Year 3 Oak"]])
        ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
        assert import_jobs_expire() == 1
        assert list(ImportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
