"""Runs and tasks: claims, already running, transient retries, permanent failures."""

from datetime import date

import pytest
from celery.exceptions import Retry

from misync.connectors.base import SourceError
from misync.models import SyncRun
from misync.services import SyncAlreadyRunningError, sync_run_create, sync_run_execute
from misync.tasks import SYNC_MAX_RETRIES, run_sync
from tests.misync.connectors import connected, filler, snapshot, static_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


class ClaimTests:
    def test_a_second_run_while_one_is_queued_reports_already_running(self, connected):
        sync_run_create(school=connected.school_a, trigger="manual")
        with pytest.raises(SyncAlreadyRunningError, match="already running"):
            sync_run_create(school=connected.school_a, trigger="nightly")

    def test_another_school_can_run_at_the_same_time(self, connected):
        sync_run_create(school=connected.school_a, trigger="manual")
        assert sync_run_create(school=connected.school_b, trigger="manual").pk

    def test_executing_the_same_run_twice_only_works_once(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(3))
        run = sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 10))
        assert sync_run_execute(run.pk).status == "succeeded"
        again = sync_run_execute(run.pk)
        assert again.status == "succeeded" and again.attempts == 1
        assert static_source.fetched == 1


class TaskRetryTests:
    def test_a_transient_error_is_retried_and_the_run_queued_again(self, connected, static_source):
        static_source.next = SourceError("Connection timed out", kind="unreachable")
        run = sync_run_create(school=connected.school_a, trigger="nightly")
        with pytest.raises(Retry):
            run_sync.apply(args=[run.pk], throw=True)
        run.refresh_from_db()
        assert run.status == "queued" and run.attempts == 1 and run.error_kind == "unreachable"

    def test_the_last_retry_records_the_run_as_failed(self, connected, static_source):
        static_source.next = SourceError("Server error", kind="server_error", status=503)
        run = sync_run_create(school=connected.school_a, trigger="nightly")
        run_sync.apply(args=[run.pk], retries=SYNC_MAX_RETRIES)
        run.refresh_from_db()
        assert run.status == "failed" and run.http_status == 503 and run.error_kind == "server_error"

    def test_a_permanent_error_is_never_retried(self, connected, static_source):
        static_source.next = SourceError("The MIS refused the credentials", kind="auth", status=401)
        run = sync_run_create(school=connected.school_a, trigger="nightly")
        run_sync.delay(run.pk)
        run.refresh_from_db()
        assert run.status == "failed" and run.attempts == 1 and run.error_kind == "auth"
        assert static_source.fetched == 1

    def test_a_school_without_settings_fails_with_a_config_error(self, people):
        run = sync_run_create(school=people.school_b, trigger="manual")
        run_sync.delay(run.pk)
        run.refresh_from_db()
        assert run.status == "failed" and run.error_kind == "config"

    def test_a_successful_task_run_records_its_counts(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(4))
        run = sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 10))
        run_sync.delay(run.pk)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.SUCCEEDED and run.created == 4 and run.groups_created == 4


class StaleRunTests:
    def test_a_run_interrupted_long_ago_no_longer_blocks_the_school(self, connected):
        from datetime import timedelta

        from django.utils import timezone

        stuck = sync_run_create(school=connected.school_a, trigger="nightly")
        SyncRun.objects.filter(pk=stuck.pk).update(status="running", started_at=timezone.now() - timedelta(hours=1))
        fresh = sync_run_create(school=connected.school_a, trigger="manual")
        stuck.refresh_from_db()
        assert stuck.status == "failed" and stuck.error_kind == "interrupted"
        assert fresh.status == "queued"

    def test_a_run_that_is_really_running_still_blocks(self, connected):
        from django.utils import timezone

        running = sync_run_create(school=connected.school_a, trigger="nightly")
        SyncRun.objects.filter(pk=running.pk).update(status="running", started_at=timezone.now())
        with pytest.raises(SyncAlreadyRunningError):
            sync_run_create(school=connected.school_a, trigger="manual")


class MisEnabledTests:
    def test_it_is_true_only_for_a_school_with_an_enabled_connection(self, connected):
        from misync.models import MisConnection
        from misync.selectors import mis_enabled

        assert mis_enabled(school=connected.school_a) is True
        assert mis_enabled(school=connected.school_b) is False
        MisConnection.objects.filter(school=connected.school_a).update(enabled=False)
        assert mis_enabled(school=connected.school_a) is False
        connected.school_a.refresh_from_db()
        assert type(connected.school_a).objects.get(pk=connected.school_a.pk).mis_connection.enabled is False


class ConnectorBugTests:
    def test_an_unexpected_connector_error_fails_the_run_instead_of_leaving_it_running(self, connected, static_source):
        static_source.next = KeyError("Students")
        run = sync_run_create(school=connected.school_a, trigger="nightly")
        run_sync.delay(run.pk)
        run.refresh_from_db()
        assert run.status == "failed" and run.error_kind == "bad_format" and "Students" in run.error_message
