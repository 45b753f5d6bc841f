"""Applying plans: bulk writes, change rows, audit, idempotency, unusable passwords, rollback."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditBatch, AuditEntry, Group, GroupMembership, Role, Status, User
from misync.models import SyncChange, SyncRun
from misync.planner import build_plan
from misync.selectors import load_school_state, thresholds_for
from misync.services import sync_run_create, sync_run_execute
from tests.misync.connectors import connected, filler, pupil, snapshot, static_source, teacher, upn  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def run_on(school, day, snap, static_source):
    static_source.next = snap
    run = sync_run_create(school=school, trigger="manual", for_date=day)
    return sync_run_execute(run.pk)


def timeline():
    return snapshot(
        pupils=[
            pupil(
                "AMY", "Amy", "Adams", group="G6", year="Y6", leave_date=date(2026, 7, 23), start_date=date(2019, 9, 3)
            ),
            pupil("BEN", "Ben", "Brown", group="GR", year="R", start_date=date(2026, 9, 3)),
            pupil("CARA", "Cara", "Cole", group="G3", year="Y3", start_date=date(2022, 9, 3)),
        ],
        staff=[teacher("T1", "Helen", "Parker", groups=("G3",), email="hp@example.org")],
    )


class FirstSyncTests:
    def test_it_creates_classes_pupils_and_staff_with_unusable_passwords_and_records_everything(
        self, connected, static_source
    ):
        school = connected.school_a
        run = run_on(school, date(2026, 7, 20), timeline(), static_source)
        assert run.status == "succeeded"
        assert (run.created, run.groups_created, run.staff_created) == (2, 4, 1)  # Ben starts in September
        amy = User.objects.get(school=school, mis_id="AMY")
        assert amy.username == "amya" and not amy.has_usable_password()
        assert GroupMembership.objects.get(user=amy, end_date__isnull=True).group.name == "6 Pine"
        helen = User.objects.get(mis_id="T1")
        assert helen.role == Role.STAFF and helen.email == "hp@example.org"
        assert GroupMembership.objects.filter(user=helen, role="teacher", group__mis_id="G3").exists()
        assert SyncChange.objects.filter(run=run, kind="created").count() == 2
        batch = AuditBatch.objects.get(kind="sync")
        assert AuditEntry.objects.filter(batch=batch, action="created", target_type="account").count() == 3
        assert run.fetch_ms is not None and run.plan_ms is not None and run.apply_ms is not None
        assert run.source_as_of is not None

    def test_replaying_the_same_snapshot_on_the_same_date_changes_nothing(self, connected, static_source):
        school = connected.school_a
        run_on(school, date(2026, 7, 20), timeline(), static_source)
        again = run_on(school, date(2026, 7, 20), timeline(), static_source)
        assert again.status == "succeeded" and again.total_changes == 0
        assert not SyncChange.objects.filter(run=again).exists()
        plan = build_plan(
            state=load_school_state(school),
            snapshot=timeline(),
            today=date(2026, 7, 20),
            thresholds=thresholds_for(school=school),
        )
        assert plan.is_empty

    def test_the_worked_timeline_through_the_summer(self, connected, static_source):
        school = connected.school_a
        run_on(school, date(2026, 7, 20), timeline(), static_source)
        moved = snapshot(
            pupils=[*timeline().pupils[:2], pupil("CARA", "Cara", "Cole", group="G4", year="Y4")],
            staff=timeline().staff,
        )
        cara_run = run_on(school, date(2026, 7, 21), moved, static_source)
        cara = User.objects.get(mis_id="CARA")
        assert cara_run.moved == 1 and cara.year_group == "Y4"
        old = GroupMembership.objects.get(user=cara, group__name="3 Oak")
        assert old.end_date == date(2026, 7, 21)
        assert GroupMembership.objects.get(user=cara, end_date__isnull=True).group.name == "4 Oak"

        assert run_on(school, date(2026, 7, 22), moved, static_source).left == 0
        amy_run = run_on(school, date(2026, 7, 23), moved, static_source)
        amy = User.objects.get(mis_id="AMY")
        assert amy_run.left == 1 and amy.status == Status.LEAVER and not amy.is_active
        assert amy.leave_date == date(2026, 7, 23) and amy.left_via == "sync"

        assert run_on(school, date(2026, 9, 3), moved, static_source).created == 0
        ben_run = run_on(school, date(2026, 9, 4), moved, static_source)
        ben = User.objects.get(mis_id="BEN")
        assert ben_run.created == 1 and ben.theme == "early_years"
        assert GroupMembership.objects.get(user=ben).group.name == "Reception Robins"

    def test_a_matched_manual_account_becomes_mis_managed_and_a_leaver_comes_back(self, connected, static_source):
        school = connected.school_a
        pupil_a = connected.pupil
        pupil_a.upn = upn(5)
        pupil_a.save()
        snap = snapshot(pupils=[pupil("P5", pupil_a.first_name, pupil_a.last_name, upn=upn(5))])
        run = run_on(school, date(2026, 9, 10), snap, static_source)
        pupil_a.refresh_from_db()
        assert run.created == 0 and pupil_a.mis_id == "P5"
        User.objects.filter(pk=pupil_a.pk).update(status="leaver", is_active=False)
        GroupMembership.objects.filter(user=pupil_a).update(end_date=F("start_date"))
        back = run_on(school, date(2026, 9, 11), snap, static_source)
        pupil_a.refresh_from_db()
        assert back.reinstated == 1 and pupil_a.is_active and pupil_a.status == "active"
        assert User.objects.filter(school=school, role="pupil").count() == 1


class FailedApplyTests:
    def test_a_run_whose_apply_fails_part_way_changes_nothing_and_is_recorded_failed(self, connected, static_source):
        school = connected.school_a
        connected.pupil.mis_id, connected.pupil.upn = "KNOWN", upn(9)
        connected.pupil.save()
        # A new record with the same UPN as an existing account: the classes and other pupils are
        # written first, then the database refuses the duplicate UPN, and everything rolls back.
        snap = snapshot(
            pupils=[
                pupil("KNOWN", connected.pupil.first_name, connected.pupil.last_name),
                *filler(5, start=10),
                pupil("CLASH", "Other", "Child", upn=upn(9), start_date=date(2025, 9, 1)),
            ]
        )
        before = (
            User.objects.count(),
            Group.objects.count(),
            GroupMembership.objects.count(),
            AuditEntry.objects.count(),
        )
        run = run_on(school, date(2026, 9, 10), snap, static_source)
        assert run.status == "failed" and run.error_kind == "apply"
        assert "could not be saved, so nothing was changed" in run.error_message and "UPN" in run.error_message
        after = (
            User.objects.count(),
            Group.objects.count(),
            GroupMembership.objects.count(),
            AuditEntry.objects.count(),
        )
        assert after == before
        assert not SyncChange.objects.filter(run=run).exists()


class PerformanceShapeTests:
    def test_a_first_sync_uses_a_bounded_number_of_queries_whatever_the_size(self, connected, static_source):
        school = connected.school_a

        def queries(n, offset):
            static_source.next = snapshot(pupils=filler(n, start=offset))
            run = sync_run_create(school=school, trigger="manual", for_date=date(2026, 9, 10))
            with CaptureQueriesContext(connection) as ctx:
                sync_run_execute(run.pk)
            return len(ctx.captured_queries)

        small = queries(10, 0)
        User.objects.filter(school=school, role="pupil").exclude(pk=connected.pupil.pk).delete()
        Group.objects.filter(school=school, mis_managed=True).delete()
        large = queries(400, 1000)
        assert large <= small + 6, (small, large)
        assert SyncRun.objects.filter(status="succeeded").count() == 2


class IssueLoginsServiceTests:
    def test_a_class_larger_than_one_chunk_is_done_in_chunks_with_progress_and_audit(self, connected, static_source):
        from accounts.models import Group
        from misync.services import LOGIN_CHUNK, login_issue_create, login_issue_process

        static_source.next = snapshot(pupils=filler(LOGIN_CHUNK + 12))
        run_on(connected.school_a, date(2026, 9, 10), static_source.next, static_source)
        group = Group.objects.get(school=connected.school_a, mis_id="G3")
        issue = login_issue_create(school=connected.school_a, group=group, actor=connected.admin, include_all=False)
        assert issue.total == LOGIN_CHUNK + 12 and issue.status == "queued"
        issue = login_issue_process(issue_id=issue.pk)
        assert (issue.status, issue.done, issue.percent) == ("done", LOGIN_CHUNK + 12, 100)
        assert AuditEntry.objects.filter(action="password_issued", batch__kind="bulk").count() == LOGIN_CHUNK + 12
        assert not User.objects.filter(mis_id__startswith="P", password__startswith="!").exists()
        assert login_issue_process(issue_id=issue.pk).sheet_token == issue.sheet_token  # a second call does nothing
