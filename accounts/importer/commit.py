"""Services for the import: store a preview, then create every account in one transaction.

Flow: `import_job_create` reads and validates the upload and stores an ImportJob (preview).
`import_job_start` records which likely duplicates the admin ticked and queues the Celery task,
which calls `import_job_run`: passwords are generated and hashed in chunks *before* the final
transaction (Argon2 costs ~0.1 s each; progress is kept in the ImportJob row so the progress
page works with an eager Celery too), then `import_job_apply` creates the classes, accounts,
memberships and audit entries in one durable transaction. A failure anywhere leaves nothing.
"""

import json
import logging
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.credential_sheets import Credential, credential_sheet_store
from accounts.credentials import password_generate
from accounts.crypto import fernet_for
from accounts.importer.reader import read_upload
from accounts.importer.validate import OUTCOME_DUPLICATE, OUTCOME_ERROR, OUTCOME_NEW, ImportPreview, validate_rows
from accounts.models import AuditBatch, Group, ImportJob, Role, School, User, theme_for_year_group
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create
from accounts.services.leavers import RefusedError

logger = logging.getLogger(__name__)

HASH_CHUNK = 25
# A running job that has not recorded progress for this long is taken to be abandoned by its worker.
STALE_AFTER_SECONDS = 10 * 60
# Encrypted passwords of an abandoned preview are unreadable after this long.
SECRETS_TTL_SECONDS = 24 * 60 * 60


# --- Secrets ------------------------------------------------------------------------------


def _fernet() -> Fernet:
    return fernet_for("import-secrets")


def _seal(data: dict) -> bytes | None:
    return _fernet().encrypt(json.dumps(data).encode()) if data else None


def _unseal(blob) -> dict:
    if not blob:
        return {}
    try:
        return json.loads(_fernet().decrypt(bytes(blob), ttl=SECRETS_TTL_SECONDS))
    except InvalidToken:
        return {}


def import_job_typed_passwords(*, job: ImportJob) -> dict[int, str]:
    """Passwords the admin typed in the spreadsheet, by row number (for the errors file)."""
    return {int(k): v for k, v in _unseal(job.secrets).items()}


# --- Preview ------------------------------------------------------------------------------


def _counts(preview: ImportPreview) -> dict:
    return {
        "new_count": preview.count(OUTCOME_NEW),
        "duplicate_count": preview.count(OUTCOME_DUPLICATE),
        "error_count": len(preview.problems),
    }


def import_job_create(
    *, school: School, admin: User | None, file_name: str, data: bytes, create_groups: bool
) -> ImportJob:
    """Read and validate an upload and keep the result as a preview; creates no accounts.

    Raises reader.ImportFileError when the file cannot be read at all.
    """
    read = read_upload(
        name=file_name, data=data, max_rows=settings.IMPORT_MAX_ROWS, max_bytes=settings.IMPORT_MAX_BYTES
    )
    preview = validate_rows(school=school, read=read, create_groups=create_groups)
    return ImportJob.objects.create(
        school=school,
        admin=admin,
        file_name=file_name[:255],
        create_groups=create_groups,
        rows=[r.as_json() for r in preview.rows],
        file_problems=[p.as_dict() for p in preview.file_problems],
        warnings=preview.warnings,
        missing_groups=preview.missing_groups,
        secrets=_seal({str(r.number): r.password for r in preview.rows if r.password}),
        **_counts(preview),
    )


def import_job_rows_to_create(*, job: ImportJob) -> list[dict]:
    """The rows that will become accounts: every new row, plus the duplicates the admin ticked."""
    ticked = set(job.included_rows)
    return [
        r for r in job.rows
        if r["outcome"] == OUTCOME_NEW or (r["outcome"] == OUTCOME_DUPLICATE and r["duplicate_tickable"] and r["row"] in ticked)
    ]


def import_job_start(*, job: ImportJob, include_rows: set[int], enqueue: bool = True) -> ImportJob:
    """Confirm a preview: queue the import. Refused while the preview has errors or was already confirmed.

    With enqueue=False the caller runs `import_job_run` itself (the import_pupils command).
    """
    if job.error_count or any(r["outcome"] == OUTCOME_ERROR for r in job.rows):
        raise RefusedError("Fix the errors in the file and upload it again; nothing has been imported.")
    tickable = {r["row"] for r in job.rows if r["outcome"] == OUTCOME_DUPLICATE and r["duplicate_tickable"]}
    if not include_rows <= tickable:
        raise RefusedError("Only rows marked as likely duplicates can be ticked.")
    job.included_rows = sorted(include_rows)
    total = len(import_job_rows_to_create(job=job))
    if not total:
        raise RefusedError("There are no new pupils to import in this file.")
    claimed = ImportJob.objects.filter(pk=job.pk, stage=ImportJob.Stage.PREVIEW).update(
        stage=ImportJob.Stage.QUEUED,
        included_rows=job.included_rows,
        progress_total=total,
        progress_done=0,
        updated_at=timezone.now(),
    )
    if claimed != 1:
        raise RefusedError("This import has already been confirmed.")
    if enqueue:
        from accounts.importer.tasks import run_import_job

        run_import_job.delay_on_commit(job.pk)
    job.refresh_from_db()
    return job


# --- Commit -------------------------------------------------------------------------------


def import_job_run(*, job_id: int, chunk_size: int = HASH_CHUNK) -> ImportJob | None:
    """Hash every password in chunks, recording progress, then apply the import in one transaction."""
    # A job whose worker died part-way (acks_late redelivers the task) is claimed again once it
    # has made no progress for a while: nothing is written until the final transaction, and that
    # transaction also marks the job done, so running it again is safe.
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    claimable = Q(stage=ImportJob.Stage.QUEUED) | Q(
        stage__in=[ImportJob.Stage.HASHING, ImportJob.Stage.SAVING], updated_at__lt=stale
    )
    if ImportJob.objects.filter(claimable, pk=job_id).update(
        stage=ImportJob.Stage.HASHING, progress_done=0, updated_at=timezone.now()
    ) != 1:
        return None  # already claimed by another worker, finished, or not confirmed
    job = ImportJob.objects.select_related("school", "admin__school").get(pk=job_id)
    try:
        typed = import_job_typed_passwords(job=job)
        rows = import_job_rows_to_create(job=job)
        if any(row["has_password"] and row["row"] not in typed for row in rows):
            # Never swap a password the admin chose for a generated one without saying so.
            _fail(job, "Nothing was imported: the passwords typed in the file are kept for 24 hours only and have "
                       "expired. Upload the file again.")
            job.refresh_from_db()
            return job
        passwords: dict[int, tuple[str, str]] = {}
        for start in range(0, len(rows), chunk_size):
            for row in rows[start : start + chunk_size]:
                plain = typed.get(row["row"]) or password_generate(style=job.school.password_style)
                passwords[row["row"]] = (plain, make_password(plain))
            ImportJob.objects.filter(pk=job.pk).update(
                progress_done=min(start + chunk_size, len(rows)), updated_at=timezone.now()
            )
        ImportJob.objects.filter(pk=job.pk).update(stage=ImportJob.Stage.SAVING, updated_at=timezone.now())
        return import_job_apply(job=job, rows=rows, passwords=passwords)
    except Exception:
        # Logged with the traceback (never the rows' passwords); the admin sees a plain message.
        logger.exception("Import job %s failed", job_id)
        _fail(job, "Something went wrong while importing, so nothing was imported. Upload the file again to retry.")
        job.refresh_from_db()
        return job


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        stage=ImportJob.Stage.FAILED, message=message, secrets=None, updated_at=timezone.now()
    )


def _clash_message(rows: list[dict], school: School) -> str:
    """After the database refused the import: say which username or admission number clashed."""
    usernames = {r["username"].lower(): r["username"] for r in rows}
    taken = list(
        User.objects.annotate(lname=Lower("username")).filter(lname__in=list(usernames)).values_list("lname", flat=True)[:5]
    )
    if taken:
        names = ", ".join(f"“{usernames[t]}”" for t in taken)
        return (
            f"Nothing was imported: the username {names} was taken by another account after the preview. "
            "Upload the file again for a fresh preview."
        )
    numbers = [r["admission_number"] for r in rows if r["admission_number"]]
    clash = list(User.objects.filter(school=school, admission_number__in=numbers).values_list("admission_number", flat=True)[:5])
    if clash:
        return (
            f"Nothing was imported: admission number {', '.join(clash)} was given to another account after the preview. "
            "Upload the file again for a fresh preview."
        )
    return "Nothing was imported: another change to the school's accounts or classes got in the way. Upload the file again."


def import_job_apply(*, job: ImportJob, rows: list[dict], passwords: dict[int, tuple[str, str]]) -> ImportJob:
    """Create the missing classes and every account in one durable transaction with one audit batch."""
    school = job.school
    today = school.local_today()
    try:
        with transaction.atomic(durable=True):
            batch = audit_batch_create(
                school=school, kind=AuditBatch.Kind.IMPORT, label=f"Import of {job.file_name}: {len(rows)} pupils", actor=job.admin
            )
            ctx = AuditContext(school=school, actor=job.admin, source=f"import {job.file_name}"[:60], batch=batch)
            groups = {g.name.lower(): g for g in Group.objects.filter(school=school)}
            new_groups = []
            for row in rows:
                key = row["group"].lower()
                if key not in groups:
                    groups[key] = Group(school=school, name=row["group"], year_group=row["year_group"])
                    new_groups.append(groups[key])
            if new_groups:
                Group.objects.bulk_create(new_groups)
                audit = AuditBuffer(ctx)
                for group in new_groups:
                    audit.add(action="created", target_type="group", target_id=group.pk, target_label=group.name,
                              detail={"via": "import"})
                audit.flush()
            created = accounts_create(
                ctx=ctx,
                today=today,
                via="import",
                new=[
                    NewAccount(
                        forename=row["forename"],
                        surname=row["surname"],
                        role=Role.PUPIL,
                        username=row["username"],
                        password=passwords[row["row"]][0],
                        password_hash=passwords[row["row"]][1],
                        group=groups[row["group"].lower()],
                        theme=row["theme"],
                        admission_number=row["admission_number"] or None,
                    )
                    for row in rows
                ],
            )
            # Marked done inside the transaction: the accounts and "done" are committed together.
            ImportJob.objects.filter(pk=job.pk).update(
                stage=ImportJob.Stage.DONE,
                created_count=len(created),
                progress_done=len(created),
                secrets=None,
                batch=batch,
                message="",
                updated_at=timezone.now(),
            )
    except IntegrityError:
        _fail(job, _clash_message(rows, school))
        job.refresh_from_db()
        return job
    if job.admin is None:
        token = ""  # the command line: nobody to show the passwords to
    else:
        token = credential_sheet_store(
            admin=job.admin,
            title=f"New pupils from {job.file_name}",
            rows=[
                Credential(
                    name=c.account.get_full_name(),
                    username=c.account.username,
                    password=c.password,
                    group=row["group"],
                    theme=c.account.theme or theme_for_year_group(c.account.year_group),
                )
                for c, row in zip(created, rows)
            ],
        )
    ImportJob.objects.filter(pk=job.pk).update(credentials_token=token)
    job.refresh_from_db()
    return job


def import_jobs_expire(*, older_than_seconds: int = SECRETS_TTL_SECONDS) -> int:
    """Delete previews nobody confirmed (with their encrypted passwords) and wipe stale secrets."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    deleted, _ = ImportJob.objects.filter(stage=ImportJob.Stage.PREVIEW, created_at__lt=cutoff).delete()
    ImportJob.objects.filter(created_at__lt=cutoff, secrets__isnull=False).exclude(
        stage=ImportJob.Stage.PREVIEW
    ).update(secrets=None)
    return deleted
