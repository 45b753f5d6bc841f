"""The beat dispatcher: one nightly run per school-local day at the right UTC instant, DST included."""

from datetime import date, datetime, time, timedelta, timezone

import pytest
import time_machine

from dbprimary.celery import app
from misync.models import MisConnection, SyncRun
from misync.tasks import dispatch_nightly_syncs
from tests.misync.connectors import filler, snapshot
from tests.misync.connectors import connected, static_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def tick_through(start: datetime, end: datetime, on_commit):
    """Call the dispatcher every 15 minutes from start to end (UTC), as beat does; return run times."""
    queued_at = {}
    now = start
    while now <= end:
        with time_machine.travel(now, tick=False):
            before = set(SyncRun.objects.values_list("pk", flat=True))
            with on_commit(execute=True):
                dispatch_nightly_syncs()
            for run in SyncRun.objects.exclude(pk__in=before):
                queued_at[run.pk] = (now, run.for_date)
        now += timedelta(minutes=15)
    return list(queued_at.values())


class BeatScheduleTests:
    def test_the_beat_entry_runs_every_fifteen_minutes(self):
        entry = app.conf.beat_schedule["misync-dispatch-nightly"]
        assert entry["task"] == "misync.tasks.dispatch_nightly_syncs"
        assert entry["schedule"].minute == {0, 15, 30, 45}


class ClockChangeTests:
    @pytest.mark.parametrize(
        "sunday, expected_utc",
        [
            # Clocks go forward at 01:00 UTC: 02:30 BST is 01:30 UTC.
            (date(2026, 3, 29), datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
            # Clocks go back at 01:00 UTC: 02:30 GMT is 02:30 UTC (and 01:xx happens twice).
            (date(2026, 10, 25), datetime(2026, 10, 25, 2, 30, tzinfo=timezone.utc)),
        ],
    )
    def test_exactly_one_run_per_local_day_at_half_past_two_local(self, connected, static_source, sunday, expected_utc,
                                                               django_capture_on_commit_callbacks):
        static_source.next = snapshot(pupils=filler(2))
        start = datetime.combine(sunday - timedelta(days=1), time(12, 0), tzinfo=timezone.utc)
        end = datetime.combine(sunday + timedelta(days=1), time(12, 0), tzinfo=timezone.utc)
        runs = tick_through(start, end, django_capture_on_commit_callbacks)
        assert [for_date for _, for_date in runs] == [sunday - timedelta(days=1), sunday, sunday + timedelta(days=1)]
        # The first run appears at the first tick of the window: noon on Saturday (its nightly time has passed).
        assert runs[1][0] == expected_utc
        assert SyncRun.objects.filter(trigger="nightly").count() == 3
        assert set(SyncRun.objects.values_list("status", flat=True)) == {"succeeded"}


class DispatchRulesTests:
    def test_a_disabled_or_paused_school_is_skipped(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(2))
        connection = MisConnection.objects.get(school=connected.school_a)
        connection.pause_until = date(2026, 9, 1)
        connection.save()
        with time_machine.travel(datetime(2026, 8, 10, 3, 0, tzinfo=timezone.utc), tick=False):
            assert dispatch_nightly_syncs() == 0
        with time_machine.travel(datetime(2026, 9, 2, 3, 0, tzinfo=timezone.utc), tick=False):
            assert dispatch_nightly_syncs() == 1
        MisConnection.objects.filter(pk=connection.pk).update(enabled=False)
        with time_machine.travel(datetime(2026, 9, 3, 3, 0, tzinfo=timezone.utc), tick=False):
            assert dispatch_nightly_syncs() == 0

    def test_nothing_is_queued_before_the_nightly_time(self, connected, static_source):
        with time_machine.travel(datetime(2026, 1, 10, 2, 15, tzinfo=timezone.utc), tick=False):
            assert dispatch_nightly_syncs() == 0
        assert not SyncRun.objects.exists()

    def test_a_school_in_another_time_zone_runs_at_its_own_local_time(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(2))
        connected.school_a.timezone = "Asia/Dubai"  # UTC+4: 02:30 local is 22:30 UTC the day before
        connected.school_a.save()
        with time_machine.travel(datetime(2026, 1, 9, 22, 15, tzinfo=timezone.utc), tick=False):
            assert dispatch_nightly_syncs() == 0
        with time_machine.travel(datetime(2026, 1, 9, 22, 30, tzinfo=timezone.utc), tick=False):
            assert dispatch_nightly_syncs() == 1
        assert SyncRun.objects.get().for_date == date(2026, 1, 10)
