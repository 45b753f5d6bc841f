"""Thin Celery tasks: they take ids, call a service and own their retry policy."""

import logging

from celery import shared_task
from django.utils import timezone

from misync.models import MisConnection, SyncRun
from misync.monitoring import sync_health_check
from misync.services import (
    SyncAlreadyRunningError,
    TransientSyncError,
    login_issue_process,
    sync_run_create,
    sync_run_execute,
)

log = logging.getLogger(__name__)

# A transient failure (MIS unreachable, 5xx) is retried this many times, after 1, 2, 4… minutes.
SYNC_MAX_RETRIES = 4
SYNC_RETRY_BASE_SECONDS = 60


@shared_task(bind=True, acks_late=True, max_retries=SYNC_MAX_RETRIES)
def run_sync(self, run_id: int):
    """Execute one queued run. Idempotent: a run already claimed (or finished) is left alone."""
    final = self.request.retries >= self.max_retries
    try:
        run = sync_run_execute(run_id, final_attempt=final)
    except TransientSyncError as exc:
        raise self.retry(exc=exc, countdown=SYNC_RETRY_BASE_SECONDS * 2**self.request.retries) from exc
    return run.status if run else None


@shared_task(acks_late=True)
def dispatch_nightly_syncs():
    """Every 15 minutes (UTC): queue one run per school whose local nightly time has passed today.

    A school qualifies when its MIS connection is enabled, not paused, its local time of day is
    at or after `nightly_time`, and it has no nightly run yet for its local date. Working in each
    school's local date and time makes the clock changes harmless: on the March Sunday 02:30
    local is 01:30 UTC, on the October Sunday it is 02:30 UTC, and either way exactly one run
    is queued for that local day.
    """
    now = timezone.now()
    queued = 0
    for connection in MisConnection.objects.filter(enabled=True).select_related("school"):
        school = connection.school
        local = now.astimezone(school.tzinfo)
        today = local.date()
        if connection.is_paused(today) or local.time() < connection.nightly_time:
            continue
        if SyncRun.objects.filter(school=school, trigger=SyncRun.Trigger.NIGHTLY, for_date=today).exists():
            continue
        try:
            run = sync_run_create(school=school, trigger=SyncRun.Trigger.NIGHTLY, for_date=today)
        except SyncAlreadyRunningError:
            log.info("MIS sync for %s still running; the nightly run waits for the next tick", school.slug)
            continue
        run_sync.delay_on_commit(run.pk)
        queued += 1
    return queued


@shared_task(acks_late=True)
def issue_logins(issue_id: int):
    issue = login_issue_process(issue_id=issue_id)
    return issue.status if issue else None


@shared_task(acks_late=True)
def check_sync_health():
    """Hourly (UTC): the sync-health check of every school with the nightly sync enabled.

    This is what flags a school with no successful sync for 36 hours even when no run failed
    (the scheduler or the workers stopped), and sends the daily reminders while a link stays
    broken. One school's failure (e.g. the mail server) does not stop the others.
    """
    alerts = 0
    for connection in MisConnection.objects.filter(enabled=True).select_related("school").order_by("school_id"):
        try:
            decision = sync_health_check(school=connection.school)
        except Exception:
            log.exception("Sync health check for school %s failed", connection.school_id)
            continue
        alerts += decision.kind is not None
    return alerts
