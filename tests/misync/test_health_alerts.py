"""Alert e-mails over time: first, reminder suppressed within a day, sent again after 24 hours,
recovery after a good run, and the hourly check that flags 36 hours without a successful sync."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from misync.health import CAUSES
from misync.models import MisConnection
from misync.monitoring import sync_health_check
from misync.services import mis_settings_update
from misync.tasks import check_sync_health
from tests.misync.health_fixtures import ADMIN_EMAIL, fake_mis, linked, sync  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

# A term-time Tuesday, 09:00 in London (BST is over, so UTC is London time).
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def subjects():
    return [m.subject for m in mail.outbox]


class AlertTimingTests:
    def test_first_alert_then_reminders_at_most_once_a_day_then_recovery(self, linked):
        school = linked.school_a
        with time_machine.travel(T0, tick=False):
            assert sync(school).status == "succeeded"
        assert mail.outbox == []  # healthy from the start: nothing to say

        linked.fake.set_failure("401")
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            sync(school)
        assert subjects() == [f"MIS sync for Alder Primary needs attention: {CAUSES['auth'].title}"]

        for hours in (2, 12, 24):  # still broken, but less than a day since the alert
            with time_machine.travel(T0 + timedelta(hours=hours), tick=False):
                sync(school)
                check_sync_health.delay()
        assert len(mail.outbox) == 1

        with time_machine.travel(T0 + timedelta(hours=25, minutes=1), tick=False):
            sync(school)
        assert len(mail.outbox) == 2
        reminder = mail.outbox[1]
        assert reminder.subject == "Reminder: MIS sync for Alder Primary still needs attention"
        assert "Failed attempts in a row: 5" in reminder.body
        assert "Last successful sync: 10 November 2026, 09:00" in reminder.body

        linked.fake.set_failure("none")
        with time_machine.travel(T0 + timedelta(hours=26), tick=False):
            assert sync(school).status == "succeeded"
        assert len(mail.outbox) == 3
        recovery = mail.outbox[2]
        assert recovery.subject == "MIS sync for Alder Primary is working again"
        assert recovery.to == [ADMIN_EMAIL] and "at 11:00 on 11 November 2026" in recovery.body

        with time_machine.travel(T0 + timedelta(hours=27), tick=False):
            sync(school)
            check_sync_health.delay()
        assert len(mail.outbox) == 3  # one recovery e-mail, not one per good run

    def test_a_different_cause_is_a_new_first_alert_not_a_reminder(self, linked):
        linked.fake.set_failure("401")
        with time_machine.travel(T0, tick=False):
            sync(linked.school_a)
        linked.fake.set_failure("404")
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            sync(linked.school_a)
        assert [CAUSES["auth"].title in s for s in subjects()] == [True, False]
        assert CAUSES["not_found"].title in subjects()[1]

    def test_times_in_the_e_mail_are_in_the_schools_time_zone(self, linked):
        linked.school_a.timezone = "Asia/Tokyo"
        linked.school_a.save(update_fields=["timezone"])
        with time_machine.travel(T0, tick=False):
            sync(linked.school_a)
        linked.fake.set_failure("500")
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            sync(linked.school_a)
        assert "Last successful sync: 10 November 2026, 18:00" in mail.outbox[0].body

    def test_only_active_admins_and_superadmins_with_an_address_are_sent_it(self, linked):
        from accounts.models import User

        User.objects.filter(pk=linked.superadmin.pk).update(email="head@alder.example")
        User.objects.filter(pk=linked.teacher.pk).update(email="teacher@alder.example")
        User.objects.filter(pk=linked.admin_b.pk).update(email="office@birch.example")
        linked.fake.set_failure("down")
        sync(linked.school_a)
        assert sorted(address for m in mail.outbox for address in m.to) == ["head@alder.example", ADMIN_EMAIL]
        assert {m.body.splitlines()[0] for m in mail.outbox} == {"Dear Superadmin Tester,", "Dear Admin Tester,"}

    def test_a_mail_server_that_is_down_does_not_fail_a_good_run(self, linked, settings, caplog):
        linked.fake.set_failure("stale")  # a good run that calls for an alert
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
            }
        }
        run = sync(linked.school_a)
        assert run.status == "succeeded" and run.created == 30
        assert "Sync health check for school" in caplog.text and "Connection refused" in caplog.text
        assert MisConnection.objects.get(school=linked.school_a).alert_state == "stale"

    def test_nothing_is_sent_while_the_sync_is_paused(self, linked):
        with time_machine.travel(T0, tick=False):
            MisConnection.objects.filter(school=linked.school_a).update(pause_until=T0.date() + timedelta(days=3))
            linked.fake.set_failure("down")
            sync(linked.school_a)
        assert mail.outbox == []


class NoRecentSyncTests:
    def test_the_hourly_check_flags_a_school_with_no_successful_sync_for_36_hours(self, client, linked):
        with time_machine.travel(T0, tick=False):
            sync(linked.school_a)
        with time_machine.travel(T0 + timedelta(hours=35), tick=False):
            assert check_sync_health.delay().get() == 0
        assert mail.outbox == []
        with time_machine.travel(T0 + timedelta(hours=37), tick=False):
            assert check_sync_health.delay().get() == 1
            client.force_login(linked.admin)
            text = client.get(reverse("toolbox")).text
        [message] = mail.outbox
        assert CAUSES["no_recent_sync"].title in message.subject
        assert "Warning" in text and CAUSES["no_recent_sync"].title in text

    def test_a_newly_enabled_school_that_never_synced_is_flagged_after_36_hours(self, linked):
        connection = MisConnection.objects.get(school=linked.school_a)
        connection.enabled = False
        connection.save()
        values = {
            "connector": "xporter",
            "base_url": connection.base_url,
            "school_ref": connection.school_ref,
            "enabled": True,
            "nightly_time": connection.nightly_time,
            "pause_until": None,
            "sync_hold_percent": 10,
            "sync_hold_count": 50,
        }
        with time_machine.travel(T0, tick=False):
            mis_settings_update(school=linked.school_a, actor=linked.superadmin, values=values, credentials=None)
        connection.refresh_from_db()
        assert connection.enabled_at == T0
        with time_machine.travel(T0 + timedelta(hours=12), tick=False):
            mis_settings_update(school=linked.school_a, actor=linked.superadmin, values=values, credentials=None)
            assert sync_health_check(school=linked.school_a).kind is None
        connection.refresh_from_db()
        assert connection.enabled_at == T0  # saving again while on keeps the original time
        with time_machine.travel(T0 + timedelta(hours=37), tick=False):
            decision = sync_health_check(school=linked.school_a)
        assert (decision.kind, decision.cause_code) == ("first", "no_recent_sync")

    def test_the_hourly_check_skips_schools_with_the_sync_switched_off(self, linked):
        MisConnection.objects.filter(school=linked.school_a).update(enabled=False)
        with time_machine.travel(T0 + timedelta(days=5), tick=False):
            assert check_sync_health.delay().get() == 0
        assert mail.outbox == []

    def test_the_hourly_check_is_on_the_beat_schedule(self):
        from dbprimary.celery import app

        entry = app.conf.beat_schedule["misync-check-health"]
        assert entry["task"] == "misync.tasks.check_sync_health"
        assert entry["schedule"].minute == {40} and len(entry["schedule"].hour) == 24
