"""The beat dispatcher: one nightly run per school-local day at the right UTC instant, DST included."""

from datetime import date, datetime, time, timedelta, timezone

import pytest
import time_machine

from dbprimary.celery import app
from misync.models import MisConnection, SyncRun
from misync.tasks import dispatch_nightly_syncs
from tests.misync.connectors import connected, filler, snapshot, static_source  # noqa: F401  (fixtures)

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


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


class ClockChangeTests:
    @pytest.mark.parametrize(
        "saturday, expected",
        [
            # Clocks go forward on Sunday 29 March at 01:00 UTC: 02:30 GMT is 02:30 UTC, 02:30 BST is 01:30 UTC.
            (date(2026, 3, 28), [utc(2026, 3, 28, 2, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 1, 30)]),
            # Clocks go back on Sunday 25 October at 01:00 UTC (01:00–02:00 local happens twice).
            (date(2026, 10, 24), [utc(2026, 10, 24, 1, 30), utc(2026, 10, 25, 2, 30), utc(2026, 10, 26, 2, 30)]),
        ],
    )
    def test_exactly_one_run_per_local_day_at_half_past_two_local(
        self, connected, static_source, saturday, expected, django_capture_on_commit_callbacks
    ):
        static_source.next = snapshot(pupils=filler(2))
        start = datetime.combine(saturday, time(0, 0), tzinfo=timezone.utc)
        end = datetime.combine(saturday + timedelta(days=2), time(12, 0), tzinfo=timezone.utc)
        runs = tick_through(start, end, django_capture_on_commit_callbacks)
        assert [queued_at for queued_at, _ in runs] == expected
        assert [for_date for _, for_date in runs] == [saturday + timedelta(days=n) for n in range(3)]
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
