"""MIS sync screens through the test client: roles, tenant isolation, POST-only actions."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import User
from misync.models import LoginIssue, MisConnection, SyncChange, SyncRun
from misync.services import sync_run_create, sync_run_execute
from tests.misync.connectors import connected, filler, snapshot, static_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(connected, static_source):
    static_source.next = snapshot(pupils=filler(3))
    run = sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 10))
    return sync_run_execute(run.pk)


@pytest.fixture
def held_run(connected, static_source):
    static_source.next = snapshot(pupils=filler(20))
    sync_run_execute(sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 10)).pk)
    static_source.next = snapshot(pupils=filler(5))
    return sync_run_execute(
        sync_run_create(school=connected.school_a, trigger="nightly", for_date=date(2026, 9, 11)).pk
    )


class RunsPageTests:
    def test_an_admin_sees_the_runs(self, client, finished_run, connected):
        client.force_login(connected.admin)
        response = client.get(reverse("mis_runs"))
        assert response.status_code == 200
        assert f"#{finished_run.pk}" in response.text and "3 created" in response.text
        assert "MIS settings" not in response.text.split("<main")[1].split("toolbox-main")[1]

    def test_the_runs_list_runs_a_fixed_number_of_queries(
        self, client, connected, static_source, django_assert_num_queries
    ):
        for day in range(3):
            static_source.next = snapshot(pupils=filler(3 + day))
            sync_run_execute(
                sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 10 + day)).pk
            )
        client.force_login(connected.admin)
        client.get(reverse("mis_runs"))
        with django_assert_num_queries(5):
            client.get(reverse("mis_runs"))
        for day in range(5):
            sync_run_execute(
                sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, 20 + day)).pk
            )
        with django_assert_num_queries(5):
            client.get(reverse("mis_runs"))

    def test_pupils_and_teachers_get_a_404(self, client, connected):
        for user in (connected.pupil, connected.teacher):
            client.force_login(user)
            assert client.get(reverse("mis_runs")).status_code == 404

    def test_a_run_shows_its_changes_filtered_by_kind(self, client, finished_run, connected):
        client.force_login(connected.admin)
        response = client.get(reverse("mis_run", args=[finished_run.pk]))
        assert response.status_code == 200 and "Child0 Filler" in response.text and "3 Oak" in response.text
        only_groups = client.get(reverse("mis_run", args=[finished_run.pk]), {"kind": "group_created"})
        assert "3 Oak" in only_groups.text and "Child0 Filler" not in only_groups.text

    def test_a_runs_changes_page_runs_a_fixed_number_of_queries(
        self, client, connected, static_source, django_assert_num_queries
    ):
        client.force_login(connected.admin)
        counts = []
        for n, day in ((3, 10), (40, 11)):
            static_source.next = snapshot(pupils=filler(n))
            run = sync_run_execute(
                sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 9, day)).pk
            )
            client.get(reverse("mis_run", args=[run.pk]))
            with django_assert_num_queries(5) as ctx:
                client.get(reverse("mis_run", args=[run.pk]))
            counts.append(len(ctx.captured_queries))
        assert run.status == "succeeded" and run.created == 37
        assert counts[0] == counts[1]

    def test_change_details_read_in_words_with_uk_dates(self, client, held_run, connected):
        client.force_login(connected.admin)
        client.post(reverse("mis_run_approve", args=[held_run.pk]))
        response = client.get(reverse("mis_run", args=[held_run.pk]), {"kind": "left"})
        # (PostgreSQL's jsonb keeps keys in its own order, so the two parts are checked apart.)
        assert "leave date: 11/09/2026" in response.text and "why: missing from the export" in response.text

    def test_school_b_admin_sees_only_school_b_runs(self, client, finished_run, connected):
        client.force_login(connected.admin_b)
        response = client.get(reverse("mis_runs"))
        assert response.status_code == 200
        assert reverse("mis_run", args=[finished_run.pk]) not in response.text and "No sync runs yet" in response.text

    def test_school_b_admin_gets_a_404_for_school_a_runs(self, client, finished_run, held_run, connected):
        client.force_login(connected.admin_b)
        assert client.get(reverse("mis_run", args=[finished_run.pk])).status_code == 404
        assert client.post(reverse("mis_run_approve", args=[held_run.pk])).status_code == 404
        assert client.post(reverse("mis_run_reject", args=[held_run.pk])).status_code == 404
        held_run.refresh_from_db()
        assert held_run.status == "held"


class SyncNowTests:
    def test_sync_now_runs_and_shows_the_run(
        self, client, connected, static_source, django_capture_on_commit_callbacks
    ):
        static_source.next = snapshot(pupils=filler(2))
        client.force_login(connected.admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("mis_sync_now"))
        run = SyncRun.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("mis_run", args=[run.pk])
        run.refresh_from_db()
        assert run.status == "succeeded" and run.requested_by == connected.admin and run.created == 2

    def test_sync_now_while_one_is_running_says_so(self, client, connected):
        sync_run_create(school=connected.school_a, trigger="nightly")
        client.force_login(connected.admin)
        response = client.post(reverse("mis_sync_now"), follow=True)
        assert "already running" in response.text
        assert SyncRun.objects.count() == 1

    def test_sync_now_is_post_only(self, client, connected):
        client.force_login(connected.admin)
        assert client.get(reverse("mis_sync_now")).status_code == 405
        assert not SyncRun.objects.exists()

    def test_school_b_admin_syncs_only_school_b(self, client, connected):
        client.force_login(connected.admin_b)
        client.post(reverse("mis_sync_now"))
        assert list(SyncRun.objects.values_list("school__slug", flat=True)) == ["b"]


class HeldRunPageTests:
    def test_a_held_run_lists_exactly_what_approving_will_change(self, client, held_run, connected):
        client.force_login(connected.admin)
        response = client.get(reverse("mis_run", args=[held_run.pk]))
        assert "was held and nothing was changed" in response.text
        assert response.text.count("Missing from the export") == 15
        assert "11/09/2026" in response.text and "2026-09-11" not in response.text
        assert "Approve and make these changes" in response.text

    def test_approve_applies_and_reject_refuses_afterwards(self, client, held_run, connected):
        client.force_login(connected.admin)
        response = client.post(reverse("mis_run_approve", args=[held_run.pk]), follow=True)
        assert "was approved" in response.text
        assert User.objects.filter(status="leaver", left_via="sync").count() == 15
        response = client.post(reverse("mis_run_reject", args=[held_run.pk]), follow=True)
        assert "Only a held run can be rejected" in response.text

    def test_reject_changes_nothing(self, client, held_run, connected):
        client.force_login(connected.admin)
        client.post(reverse("mis_run_reject", args=[held_run.pk]))
        held_run.refresh_from_db()
        assert held_run.status == "rejected"
        assert not User.objects.filter(status="leaver").exists()

    def test_approving_by_get_does_nothing(self, client, held_run, connected):
        client.force_login(connected.admin)
        assert client.get(reverse("mis_run_approve", args=[held_run.pk])).status_code == 405

    def test_approving_without_a_csrf_token_is_refused(self, held_run, connected):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        strict.force_login(connected.admin)
        assert strict.post(reverse("mis_run_approve", args=[held_run.pk])).status_code == 403
        held_run.refresh_from_db()
        assert held_run.status == "held"


class PreviewTests:
    def test_preview_shows_the_plan_for_the_chosen_date_and_changes_nothing(self, client, connected, static_source):
        static_source.next = snapshot(pupils=[*filler(2), *[p for p in filler(1, start=50)]])
        client.force_login(connected.admin)
        response = client.get(reverse("mis_preview"), {"date": "2026-09-10"})
        assert response.status_code == 200
        assert "Plan for 10 September 2026" in response.text and "Child50 Filler" in response.text
        assert User.objects.filter(school=connected.school_a).count() == 4
        assert not SyncRun.objects.exists()

    def test_without_a_date_it_only_shows_the_form(self, client, connected, static_source):
        client.force_login(connected.admin)
        response = client.get(reverse("mis_preview"))
        assert response.status_code == 200 and static_source.fetched == 0
        today = connected.school_a.local_today().isoformat()
        assert f'value="{today}"' in response.text  # what <input type="date"> understands

    def test_a_source_error_is_explained(self, client, connected, static_source):
        from misync.connectors.base import SourceError

        static_source.next = SourceError("The MIS refused the credentials", kind="auth", status=401)
        client.force_login(connected.admin)
        response = client.get(reverse("mis_preview"), {"date": "2026-09-10"})
        assert "could not be read: The MIS refused the credentials" in response.text

    def test_school_b_admin_previews_only_school_b(self, client, connected, static_source):
        static_source.next = snapshot(pupils=filler(2))
        client.force_login(connected.admin_b)
        response = client.get(reverse("mis_preview"), {"date": "2026-09-10"})
        assert "no MIS settings" in response.text and static_source.fetched == 0


class SettingsPageTests:
    def _data(self, **extra):
        return {
            "connector": "xporter",
            "base_url": "https://mis.example.org",
            "school_ref": "3301234",
            "client_id": "dbprimary",
            "secret": "s3cret-token-4f",
            "enabled": "on",
            "nightly_time": "03:15",
            "pause_until": "",
            "sync_hold_percent": "12",
            "sync_hold_count": "40",
            **extra,
        }

    def test_a_superadmin_saves_settings_with_credentials_stored_encrypted_and_never_shown(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(reverse("mis_settings"), self._data())
        assert response.status_code == 302
        connection = MisConnection.objects.get(school=people.school_a)
        assert connection.enabled and connection.nightly_time.strftime("%H:%M") == "03:15"
        assert "s3cret" not in connection.credentials_encrypted
        assert connection.get_credentials()["secret"] == "s3cret-token-4f"
        people.school_a.refresh_from_db()
        assert (people.school_a.sync_hold_percent, people.school_a.sync_hold_count) == (12, 40)
        page = client.get(reverse("mis_settings")).text
        assert "s3cret" not in page and "ends in …4f" in page

    def test_a_blank_secret_keeps_the_stored_one(self, client, people):
        client.force_login(people.superadmin)
        client.post(reverse("mis_settings"), self._data())
        client.post(reverse("mis_settings"), self._data(secret="", client_id="", nightly_time="02:30"))
        assert MisConnection.objects.get().get_credentials()["secret"] == "s3cret-token-4f"

    def test_errors_are_summarised_and_shown_beside_the_field(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(reverse("mis_settings"), self._data(nightly_time="late", sync_hold_percent="0"))
        assert response.status_code == 200
        assert "There is a problem" in response.text and 'href="#id_nightly_time"' in response.text
        assert not MisConnection.objects.exists()

    def test_plain_http_to_a_remote_host_is_refused(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(reverse("mis_settings"), self._data(base_url="http://mis.example.org"))
        assert "Enter an https:// address" in response.text

    def test_an_admin_who_is_not_the_superadmin_gets_a_404(self, client, people):
        client.force_login(people.admin)
        assert client.get(reverse("mis_settings")).status_code == 404

    def test_school_b_admin_gets_a_404_and_cannot_touch_school_a(self, client, people):
        client.force_login(people.admin_b)
        assert client.post(reverse("mis_settings"), self._data()).status_code == 404
        assert not MisConnection.objects.exists()


class IssueLoginsTests:
    def test_an_admin_issues_logins_for_a_class_and_sees_them_once(
        self, client, finished_run, connected, django_capture_on_commit_callbacks
    ):
        from accounts.models import Group

        group = Group.objects.get(school=connected.school_a, mis_id="G3")
        client.force_login(connected.admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("mis_logins"), {"group": group.pk})
        issue = LoginIssue.objects.get()
        assert response["Location"] == reverse("mis_login_issue", args=[issue.pk])
        assert (issue.status, issue.total, issue.done) == ("done", 3, 3)
        response = client.get(reverse("mis_login_issue", args=[issue.pk]), follow=True)
        assert "These passwords are shown to you only" in response.text
        pupils = User.objects.filter(mis_id__startswith="P")
        assert all(p.has_usable_password() for p in pupils)
        for pupil in pupils:
            assert pupil.username in response.text
        from accounts.credential_sheets import credential_sheet_load
        from accounts.models import AuditEntry

        sheet = credential_sheet_load(admin=connected.admin, token=issue.sheet_token)
        assert len(sheet.rows) == 3
        stored = (
            str(list(AuditEntry.objects.values_list("detail", "target_label")))
            + str(list(LoginIssue.objects.values()))
            + str(list(SyncChange.objects.values_list("detail", flat=True)))
        )
        for row in sheet.rows:
            assert User.objects.get(username=row.username).check_password(row.password)
            assert row.password not in stored

    def test_only_pupils_without_a_password_unless_asked(
        self, client, finished_run, connected, django_capture_on_commit_callbacks
    ):
        from accounts.models import Group

        group = Group.objects.get(school=connected.school_a, mis_id="G3")
        client.force_login(connected.admin)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("mis_logins"), {"group": group.pk})
            client.post(reverse("mis_logins"), {"group": group.pk})
            client.post(reverse("mis_logins"), {"group": group.pk, "include_all": "on"})
        assert list(LoginIssue.objects.order_by("pk").values_list("total", flat=True)) == [3, 0, 3]

    def test_school_b_admin_cannot_pick_a_school_a_class_or_follow_its_progress(
        self, client, finished_run, connected, django_capture_on_commit_callbacks
    ):
        client.force_login(connected.admin)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("mis_logins"), {"group": connected.class_a.pk})
        issue = LoginIssue.objects.get()
        client.force_login(connected.admin_b)
        assert client.post(reverse("mis_logins"), {"group": connected.class_a.pk}).status_code == 404
        response = client.post(reverse("mis_logins"), {"group": "nonsense"})
        assert "Choose a class from the list" in response.text
        assert client.get(reverse("mis_login_issue", args=[issue.pk])).status_code == 404
        assert LoginIssue.objects.count() == 1


class ToolboxTests:
    def test_admins_see_the_runs_link_and_superadmins_also_settings(self, client, people):
        client.force_login(people.admin)
        page = client.get(reverse("toolbox")).text
        assert reverse("mis_runs") in page and reverse("mis_settings") not in page
        client.force_login(people.superadmin)
        page = client.get(reverse("toolbox")).text
        assert reverse("mis_settings") in page


class OperatorAdminTests:
    def test_the_operator_sees_runs_and_connections_but_never_the_credentials(self, client, finished_run, connected):
        connection = MisConnection.objects.get(school=connected.school_a)
        connection.set_credentials({"secret": "top-secret-value"})
        connection.save()
        client.force_login(connected.operator)
        assert client.get(reverse("admin:misync_syncrun_changelist")).status_code == 200
        page = client.get(reverse("admin:misync_misconnection_change", args=[connection.pk]))
        assert page.status_code == 200
        assert "top-secret" not in page.text and connection.credentials_encrypted not in page.text
