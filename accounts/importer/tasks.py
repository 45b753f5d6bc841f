"""Celery tasks for the import: thin, they take ids and call a service."""

from celery import shared_task

from accounts.importer.commit import import_job_run, import_jobs_expire


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> int:
    job = import_job_run(job_id=job_id)
    return job.created_count if job else 0


@shared_task(acks_late=True)
def expire_import_jobs() -> int:
    """Daily: previews nobody confirmed are deleted with their encrypted passwords."""
    return import_jobs_expire()
