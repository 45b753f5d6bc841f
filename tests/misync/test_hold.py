"""The safety hold: nothing applied, admins e-mailed, approve (only if unchanged) or reject."""

from datetime import date

import pytest
from django.core import mail

from accounts.models import Status, User
from misync.models import SyncRun
from misync.services import SyncRefusedError, sync_run_approve, sync_run_create, sync_run_execute, sync_run_reject
from tests.misync.connectors import connected, filler, snapshot, static_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_run(connected, static_source, settings, django_capture_on_commit_callbacks):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}}
    school = connected.school_a
    User.objects.filter(pk=connected.admin.pk).update(email="office@alder.example")
    static_source.next = snapshot(pupils=filler(20))
    first = sync_run_create(school=school, trigger="manual", for_date=date(2026, 9, 10))
    sync_run_execute(first.pk)
    static_source.next = snapshot(pupils=filler(12))  # 8 of 20 MIS pupils gone, no leave dates
    run = sync_run_create(school=school, trigger="nightly", for_date=date(2026, 9, 11))
    with django_capture_on_commit_callbacks(execute=True):
        return sync_run_execute(run.pk)


def active_mis_pupils():
    return User.objects.filter(mis_id__isnull=False, role="pupil", status=Status.ACTIVE).count()


class HoldTests:
    def test_a_run_over_the_threshold_is_held_with_nothing_applied(self, held_run):
        assert held_run.status == "held"
        assert active_mis_pupils() == 20
        assert held_run.left == 8 and held_run.held_plan["vanished"] == 8
        assert "8 of 21 active pupils" in held_run.hold_reasons[0]

    def test_the_schools_admins_with_an_email_address_are_told(self, held_run):
        # (The first run's snapshot is dated 20/07/2026, so it also brought a "data is stale" alert.)
        [message] = [m for m in mail.outbox if "held" in m.subject]
        assert message.to == ["office@alder.example"]
        assert "held" in message.subject and "8 of 21" in message.body

    def test_approving_an_unchanged_school_applies_the_held_plan(self, held_run, connected):
        run = sync_run_approve(run=held_run, actor=connected.admin)
        assert run.status == "succeeded" and run.trigger == "approve" and run.decided_by == connected.admin
        assert active_mis_pupils() == 12
        assert User.objects.filter(status="leaver", leave_date=date(2026, 9, 11)).count() == 8

    def test_approving_after_the_school_changed_plans_again_instead_of_applying(self, held_run, connected):
        User.objects.filter(mis_id="P0019").update(first_name="Renamed")
        run = sync_run_approve(run=held_run, actor=connected.admin)
        assert run.status == "held"
        assert "changed since this plan was made" in run.error_message
        assert active_mis_pupils() == 20

    def test_rejecting_keeps_everything_and_records_who_decided(self, held_run, connected):
        run = sync_run_reject(run=held_run, actor=connected.admin)
        assert run.status == "rejected" and run.decided_by == connected.admin
        assert active_mis_pupils() == 20

    def test_only_a_held_run_can_be_approved_or_rejected(self, held_run, connected):
        sync_run_reject(run=held_run, actor=connected.admin)
        with pytest.raises(SyncRefusedError):
            sync_run_approve(run=held_run, actor=connected.admin)
        with pytest.raises(SyncRefusedError):
            sync_run_reject(run=held_run, actor=connected.admin)

    def test_a_held_run_does_not_block_the_next_one(self, held_run, connected):
        assert sync_run_create(school=connected.school_a, trigger="manual").status == SyncRun.Status.QUEUED


class ApproveWhileBusyTests:
    def test_approving_while_another_run_is_in_progress_is_refused_and_keeps_the_hold(self, held_run, connected):
        sync_run_create(school=connected.school_a, trigger="manual")
        with pytest.raises(SyncRefusedError, match="Another sync"):
            sync_run_approve(run=held_run, actor=connected.admin)
        held_run.refresh_from_db()
        assert held_run.status == "held" and active_mis_pupils() == 20


class HeldMailFailureTests:
    def test_a_mail_server_failure_leaves_the_run_held(
        self, connected, static_source, settings, django_capture_on_commit_callbacks
    ):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
            }
        }
        User.objects.filter(pk=connected.admin.pk).update(email="office@alder.example")
        static_source.next = snapshot(pupils=filler(20))
        sync_run_execute(sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 10)).pk)
        static_source.next = snapshot(pupils=[])
        run = sync_run_create(school=connected.school_a, trigger="nightly", for_date=date(2026, 9, 11))
        with django_capture_on_commit_callbacks(execute=True):
            sync_run_execute(run.pk)
        run.refresh_from_db()
        assert run.status == "held"
