"""The sync under faults, on real PostgreSQL, Redis and `celery worker` processes.

A worker killed in the middle of applying, two workers given the same school at once, the
database connection cut during apply, and the same export applied twice. In each case the
school's accounts are either fully synced or exactly as they were, never something in between.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEntry, Group, GroupMembership, School, User
from misync.models import MisConnection, SyncChange, SyncRun
from misync.selectors import load_school_state
from misync.serialise import snapshot_to_json
from misync.services import STALE_RUNNING, SyncAlreadyRunningError, sync_run_create, sync_runs_reap_stale
from misync.tasks import run_sync
from tests.misync.connectors import filler, snapshot
from tests.reliability.conftest import backend_alive, backend_writing_accounts, wait_for

pytestmark = pytest.mark.services

# Enough pupils that applying takes a few seconds on PostgreSQL, so a fault lands mid-apply.
LARGE = 3000


def export_file(tmp_path, n: int) -> str:
    pupils = filler(n // 2, group="G3", year="Y3") + filler(n - n // 2, group="G4", year="Y4", start=n // 2)
    path = tmp_path / f"export-{n}.json"
    path.write_text(json.dumps(snapshot_to_json(snapshot(pupils=pupils))))
    return str(path)


def school_with_export(slug: str, export: str) -> School:
    school = School.objects.create(slug=slug, name=f"{slug.title()} Primary")
    MisConnection.objects.create(school=school, connector="jsonfile", base_url=export, enabled=True)
    return school


def send(run: SyncRun, queue: str) -> None:
    # The queue is named explicitly: Celery caches its routing table, so a per-test task_routes
    # setting would send the second test's tasks to the first test's (dead) queue.
    run_sync.apply_async((run.pk,), queue=queue)


def queue_run(school: School, queue: str) -> SyncRun:
    run = sync_run_create(school=school, trigger=SyncRun.Trigger.MANUAL)
    send(run, queue)
    return run


def finished(run: SyncRun, procs=()) -> SyncRun:
    def done():
        run.refresh_from_db()
        return run.status not in SyncRun.ACTIVE_STATUSES

    wait_for(done, what=f"run #{run.pk} to finish", procs=procs)
    return run


def canonical(school: School) -> dict:
    """Everything a sync decides about a school, keyed by MIS ids (not by database ids or usernames,
    which differ between two schools synced from the same export)."""
    accounts = sorted(
        User.objects.filter(school=school).values_list(
            "mis_id",
            "first_name",
            "last_name",
            "role",
            "status",
            "is_active",
            "upn",
            "admission_number",
            "year_group",
            "start_date",
            "leave_date",
            "theme",
        ),
        key=repr,
    )
    groups = sorted(Group.objects.filter(school=school).values_list("mis_id", "name", "year_group", "mis_managed"))
    memberships = sorted(
        GroupMembership.objects.filter(group__school=school).values_list(
            "user__mis_id", "group__mis_id", "role", "start_date", "end_date"
        ),
        key=repr,
    )
    return {"accounts": accounts, "groups": groups, "memberships": memberships}


def untouched(school: School, fingerprint: str) -> None:
    assert load_school_state(school).fingerprint == fingerprint
    assert not User.objects.filter(school=school).exists()
    assert not Group.objects.filter(school=school).exists()
    assert not AuditEntry.objects.filter(school=school).exists()
    assert not SyncChange.objects.filter(run__school=school).exists()


class KilledWorkerTests:
    def test_a_worker_killed_mid_apply_leaves_nothing_half_applied_and_the_next_run_matches_a_clean_one(
        self, workers, tmp_path
    ):
        export = export_file(tmp_path, LARGE)
        school = school_with_export("killed", export)
        before = load_school_state(school).fingerprint
        worker = workers.start()

        run = queue_run(school, workers.queue)
        pid = wait_for(backend_writing_accounts, what="the apply to start writing accounts", procs=[worker])
        run.refresh_from_db()
        assert run.status == "running" and run.fetch_ms is not None
        workers.kill(worker)
        # PostgreSQL rolls the dead client's transaction back when it notices the socket closed.
        wait_for(lambda: not backend_alive(pid), what="PostgreSQL to drop the killed worker's session")

        untouched(school, before)
        run.refresh_from_db()
        assert run.status == "running"  # nobody was left to record anything
        with pytest.raises(SyncAlreadyRunningError):  # …so it blocks the school until it is reaped
            sync_run_create(school=school, trigger=SyncRun.Trigger.MANUAL)

        SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - STALE_RUNNING - timedelta(minutes=1))
        assert sync_runs_reap_stale(school=school) == 1
        run.refresh_from_db()
        assert (run.status, run.error_kind) == ("failed", "interrupted")

        worker = workers.start()
        second = finished(queue_run(school, workers.queue), procs=[worker])
        assert second.status == "succeeded", second.error_message
        assert second.created == LARGE

        clean = school_with_export("clean", export)
        clean_run = finished(queue_run(clean, workers.queue), procs=[worker])
        assert clean_run.status == "succeeded", clean_run.error_message
        assert canonical(school) == canonical(clean)
        assert len(canonical(school)["accounts"]) == LARGE
        assert SyncChange.objects.filter(run=second).count() == SyncChange.objects.filter(run=clean_run).count()


class ConcurrentSyncTests:
    def test_two_workers_given_the_same_school_at_once_apply_it_exactly_once(self, workers, tmp_path):
        school = school_with_export("twice", export_file(tmp_path, 400))
        first, second = workers.start(), workers.start()
        # Both workers consuming before the tasks go out: with prefetch 1 and acks_late a busy
        # worker cannot take the second task, so each worker gets one and they overlap.
        workers.wait_until_ready(procs=[first, second])
        run = sync_run_create(school=school, trigger=SyncRun.Trigger.MANUAL)
        send(run, workers.queue)
        send(run, workers.queue)  # a duplicate delivery, as an acks_late redelivery or a double click makes
        with pytest.raises(SyncAlreadyRunningError):  # and a second run of the school cannot be queued
            sync_run_create(school=school, trigger=SyncRun.Trigger.MANUAL)
        finished(run, procs=[first, second])
        logs = [workers.log_of(p) for p in (first, second)]  # a warm shutdown lets a running task finish

        run.refresh_from_db()
        assert run.status == "succeeded" and run.created == 400
        assert SyncRun.objects.filter(school=school).count() == 1
        assert User.objects.filter(school=school).count() == 400
        assert SyncChange.objects.filter(run=run, kind="created").count() == 400
        assert AuditEntry.objects.filter(school=school).values("batch").distinct().count() == 1
        assert all("misync.tasks.run_sync" in log and "succeeded in" in log for log in logs), (
            "each worker should have run one of the two tasks"
        )


class DroppedConnectionTests:
    def test_a_database_connection_cut_during_apply_fails_the_run_and_changes_nothing(self, workers, tmp_path):
        school = school_with_export("dropped", export_file(tmp_path, LARGE))
        before = load_school_state(school).fingerprint
        worker = workers.start()

        run = queue_run(school, workers.queue)
        pid = wait_for(backend_writing_accounts, what="the apply to start writing accounts", procs=[worker])
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True

        finished(run, procs=[worker])
        assert run.status == "failed"
        assert run.error_kind == "apply"
        assert "could not be saved" in run.error_message
        untouched(school, before)
        assert worker.poll() is None  # the worker survives and takes the next task

        # Once the database is back, the same export syncs normally.
        again = finished(queue_run(school, workers.queue), procs=[worker])
        assert again.status == "succeeded" and again.created == LARGE


class SameExportTwiceTests:
    def test_applying_the_same_export_again_changes_nothing(self, workers, tmp_path):
        school = school_with_export("again", export_file(tmp_path, 300))
        worker = workers.start()
        first = finished(queue_run(school, workers.queue), procs=[worker])
        assert first.status == "succeeded" and first.created == 300
        after_first = (canonical(school), load_school_state(school).fingerprint, AuditEntry.objects.count())

        second = finished(queue_run(school, workers.queue), procs=[worker])
        assert second.status == "succeeded", second.error_message
        assert second.for_date == first.for_date
        assert second.total_changes == 0
        assert not SyncChange.objects.filter(run=second).exists()
        assert (canonical(school), load_school_state(school).fingerprint, AuditEntry.objects.count()) == after_first
