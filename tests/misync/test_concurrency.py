"""Two runs of one school at once, on PostgreSQL with real concurrent connections."""

import threading
from datetime import date

import pytest
from django.db import connection

from accounts.models import GroupMembership, Role, School, User
from misync.models import MisConnection, SyncRun
from misync.services import SyncAlreadyRunningError, sync_run_create, sync_run_execute
from tests.misync.connectors import connected, filler, snapshot, static_source  # noqa: F401  (fixtures)


@pytest.fixture
def school(postgres, transactional_db):
    school = School.objects.create(slug="conc", name="Concurrent Primary")
    MisConnection.objects.create(school=school, connector="static", enabled=True)
    return school


def in_thread(fn, results, key):
    def target():
        try:
            results[key] = fn()
        except Exception as exc:  # reported to the test, never swallowed
            results[key] = exc
        finally:
            connection.close()

    return threading.Thread(target=target)


class ConcurrentRunTests:
    def test_two_runs_started_together_one_applies_and_the_other_reports_already_running(self, school, static_source):
        static_source.next = snapshot(pupils=filler(30))
        static_source.gate = threading.Event()
        start = threading.Barrier(2)
        results = {}

        def attempt():
            start.wait(timeout=10)
            run = sync_run_create(school=school, trigger="manual", for_date=date(2026, 9, 10))
            return sync_run_execute(run.pk)

        threads = [in_thread(attempt, results, name) for name in ("one", "two")]
        for t in threads:
            t.start()
        # Whichever lost the insert race has finished; the winner is waiting in fetch().
        for _ in range(100):
            if any(isinstance(v, SyncAlreadyRunningError) for v in results.values()):
                break
            threading.Event().wait(0.1)
        static_source.gate.set()
        for t in threads:
            t.join(timeout=30)
        outcomes = sorted(type(v).__name__ for v in results.values())
        assert outcomes == ["SyncAlreadyRunningError", "SyncRun"], results
        [run] = [v for v in results.values() if isinstance(v, SyncRun)]
        assert run.status == "succeeded" and run.created == 30
        assert User.objects.filter(school=school, role=Role.PUPIL).count() == 30
        assert GroupMembership.objects.filter(group__school=school, end_date__isnull=True).count() == 30

    def test_two_workers_given_the_same_run_apply_it_once(self, school, static_source):
        static_source.next = snapshot(pupils=filler(30))
        run = sync_run_create(school=school, trigger="manual", for_date=date(2026, 9, 10))
        start = threading.Barrier(2)
        results = {}

        def work():
            start.wait(timeout=10)
            return sync_run_execute(run.pk)

        threads = [in_thread(work, results, name) for name in ("one", "two")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert static_source.fetched == 1
        assert SyncRun.objects.get(pk=run.pk).status == "succeeded"
        assert User.objects.filter(school=school, role=Role.PUPIL).count() == 30
