"""The MIS status page, its chart, Test connection and the toolbox banner: access, isolation,
CSRF, query counts, and Test connection changing nothing."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from misync.chart import chart_for
from misync.connectors.base import Connector, SourceError, register
from misync.health import CAUSES
from misync.models import MisConnection, SyncRun
from misync.selectors import DayActivity, sync_activity
from tests.misync.health_fixtures import fake_mis, linked, sync  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

NEW_GET_URLS = ("mis_status", "mis_status_chart")


@register
class ProbeConnector(Connector):
    """Records whether the fetch ran inside a database transaction, then fails like a 5xx."""

    name = "probe"
    in_atomic_block: bool | None = None

    def fetch(self):
        type(self).in_atomic_block = db_connection.in_atomic_block
        raise SourceError("The middleware said no", kind="server_error", status=503)


def past_runs(school, n, *, status="succeeded", days_ago_from=1, **fields):
    now = timezone.now()
    runs = []
    for i in range(n):
        at = now - timedelta(days=days_ago_from + i, hours=1)
        runs.append(
            SyncRun(
                school=school,
                status=status,
                trigger="nightly",
                for_date=at.date(),
                created_at=at,
                started_at=at,
                finished_at=at + timedelta(seconds=5),
                source_as_of=at,
                **fields,
            )
        )
    SyncRun.objects.bulk_create(runs)


class StatusPageTests:
    def test_it_shows_the_last_success_attempt_failures_cause_checks_and_contact(self, client, linked):
        sync(linked.school_a)
        linked.fake.set_failure("404")
        sync(linked.school_a)
        sync(linked.school_a)
        client.force_login(linked.admin)
        response = client.get(reverse("mis_status"))
        text = response.text
        cause = CAUSES["not_found"]
        assert response.status_code == 200
        assert "Failing" in text and escape(cause.title) in text and escape(cause.checks[0]) in text
        assert "Groupcall Xporter" in text  # who to contact
        assert "<dt>Failed attempts in a row</dt><dd>2</dd>" in text
        assert "Last successful sync" in text and timezone.localdate().strftime("%-d %B %Y") in text
        assert "No HTTP resource was found" in text or "not found" in text.lower()  # the run's own error
        assert reverse("mis_status_chart") in text and reverse("mis_test_connection") in text

    def test_a_healthy_link_says_there_is_nothing_to_do(self, client, linked):
        sync(linked.school_a)
        client.force_login(linked.admin)
        text = client.get(reverse("mis_status")).text
        assert "Healthy" in text and "there is nothing you need to do" in text

    def test_a_school_without_a_connection_is_told_so(self, client, people):
        client.force_login(people.superadmin)
        text = client.get(reverse("mis_status")).text
        assert "no MIS connection yet" in text and reverse("mis_settings") in text

    def test_the_table_alternative_lists_each_day_with_runs(self, client, linked):
        past_runs(linked.school_a, 2, created=3, moved=1)
        past_runs(linked.school_a, 1, status="failed", days_ago_from=5, error_kind="auth")
        client.force_login(linked.admin)
        days = client.get(reverse("mis_status")).context["active_days"]
        assert [(d.succeeded, d.failed, d.changes) for d in days] == [(1, 0, 4), (1, 0, 4), (0, 1, 0)]

    def test_the_status_page_runs_a_fixed_number_of_queries(self, client, linked, django_assert_num_queries):
        past_runs(linked.school_a, 2)
        client.force_login(linked.admin)
        client.get(reverse("mis_status"))
        with django_assert_num_queries(6) as few:
            client.get(reverse("mis_status"))
        past_runs(linked.school_a, 40, days_ago_from=3, status="failed", error_kind="unreachable")
        with django_assert_num_queries(len(few.captured_queries)):
            client.get(reverse("mis_status"))


class ChartTests:
    def test_the_chart_is_an_svg_picture_with_a_column_per_day(self, client, linked):
        past_runs(linked.school_a, 3, created=5)
        client.force_login(linked.admin)
        response = client.get(reverse("mis_status_chart"))
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        body = response.content.decode()
        assert body.startswith("<?xml") and "<svg" in body and "<script" not in body and "style=" not in body
        assert body.count("<g><title>") == 30 and "5 changes" in body
        assert "Last 30 days: 3 successful, 0 failed and 0 held runs; 15 changes made." in body

    def test_the_chart_runs_a_fixed_number_of_queries(self, client, linked, django_assert_num_queries):
        client.force_login(linked.admin)
        client.get(reverse("mis_status_chart"))
        with django_assert_num_queries(3):
            client.get(reverse("mis_status_chart"))
        past_runs(linked.school_a, 25)
        with django_assert_num_queries(3):
            client.get(reverse("mis_status_chart"))

    def test_bars_scale_to_the_busiest_day_and_colour_the_worst_outcome(self):
        days = [
            DayActivity(day=date(2026, 7, 1), succeeded=1, changes=10),
            DayActivity(day=date(2026, 7, 2), succeeded=1, failed=1, changes=1),
            DayActivity(day=date(2026, 7, 3)),
        ]
        chart = chart_for(days)
        tall, short, empty = chart.columns
        assert tall.bar_height == 110 and short.bar_height == 11 and empty.bar_height == 0
        assert (tall.fill, short.fill, empty.fill) == ("#00703c", "#d4351c", "#f3f2f1")
        assert short.title == "02/07/2026: 2 runs, a run failed, 1 change"
        assert empty.title == "03/07/2026: no run" and (tall.label, short.label, empty.label) == ("", "", "03/07")

    def test_activity_is_counted_by_the_schools_local_day(self, people):
        school = people.school_a
        # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
        at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
        SyncRun.objects.create(school=school, status="succeeded", for_date=date(2026, 7, 2), created_at=at, created=2)
        days = sync_activity(school=school, today=date(2026, 7, 3), days=3)
        assert [(d.day.day, d.succeeded, d.changes) for d in days] == [(1, 0, 0), (2, 1, 2), (3, 0, 0)]


class TestConnectionTests:
    def test_it_changes_nothing_in_the_database(self, client, linked):
        client.force_login(linked.admin)
        client.get(reverse("mis_status"))
        before = (SyncRun.objects.count(), MisConnection.objects.values().get())
        with CaptureQueriesContext(db_connection) as queries:
            response = client.post(reverse("mis_test_connection"))
        assert response.context["result"].ok and response.context["result"].pupils == 30
        writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
        assert writes == []
        assert (SyncRun.objects.count(), MisConnection.objects.values().get()) == before
        from accounts.models import User

        assert not User.objects.filter(school=linked.school_a, mis_id__isnull=False).exists()

    def test_the_live_read_runs_outside_any_transaction(self, client, transactional_db, people):
        MisConnection.objects.create(school=people.school_a, connector="probe", enabled=True)
        ProbeConnector.in_atomic_block = None
        client.force_login(people.admin)
        response = client.post(reverse("mis_test_connection"))
        assert ProbeConnector.in_atomic_block is False
        assert response.context["result"].cause.code == "server_error"
        assert "The middleware said no (HTTP status 503)" in response.text

    def test_it_is_post_only(self, client, linked):
        client.force_login(linked.admin)
        assert client.get(reverse("mis_test_connection")).status_code == 405

    def test_a_post_without_a_csrf_token_is_refused(self, linked):
        client = Client(enforce_csrf_checks=True)
        client.force_login(linked.admin)
        assert client.post(reverse("mis_test_connection")).status_code == 403

    def test_a_school_without_settings_is_told_they_are_incomplete(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("mis_test_connection"))
        assert response.context["result"].cause.code == "config"
        assert escape(CAUSES["config"].title) in response.text


class AccessTests:
    @pytest.mark.parametrize("name", NEW_GET_URLS)
    def test_pupils_and_teachers_get_a_404(self, client, linked, name):
        for user in (linked.pupil, linked.teacher):
            client.force_login(user)
            assert client.get(reverse(name)).status_code == 404
            assert client.post(reverse("mis_test_connection")).status_code == 404

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, linked):
        for name in (*NEW_GET_URLS, "mis_test_connection"):
            response = client.get(reverse(name))
            assert response.status_code == 302 and "login" in response["Location"]

    def test_school_b_admin_sees_only_school_b_and_never_reaches_school_a_mis(self, client, linked):
        """These URLs carry no ids: each admin's own school is the only one they can show.

        School B's admin gets School B's (empty) status, chart and a "settings incomplete" test
        result: School A's runs, cause and MIS are never shown or contacted.
        """
        linked.fake.set_failure("401")
        sync(linked.school_a)
        client.force_login(linked.admin_b)
        status = client.get(reverse("mis_status"))
        assert status.status_code == 200 and "no MIS connection yet" in status.text
        assert escape(CAUSES["auth"].title) not in status.text
        chart = client.get(reverse("mis_status_chart")).content.decode()
        assert "0 successful, 0 failed and 0 held runs" in chart
        result = client.post(reverse("mis_test_connection")).context["result"]
        assert result.cause.code == "config" and result.pupils == 0
        toolbox = client.get(reverse("toolbox"))
        assert toolbox.context["mis_health"] is None and "MIS sync <strong" not in toolbox.text

    def test_school_b_admin_gets_a_404_for_school_a_runs_linked_from_the_status_page(self, client, linked):
        sync(linked.school_a)
        linked.fake.set_failure("empty")
        held = sync(linked.school_a)
        client.force_login(linked.admin_b)
        assert client.get(reverse("mis_run", args=[held.pk])).status_code == 404


class ToolboxBannerTests:
    def test_no_banner_while_integration_is_off(self, client, people):
        MisConnection.objects.create(school=people.school_a, connector="xporter", enabled=False)
        client.force_login(people.admin)
        response = client.get(reverse("toolbox"))
        assert response.context["mis_health"] is None and "mis-banner" not in response.text

    def test_a_healthy_link_shows_a_success_banner(self, client, linked):
        sync(linked.school_a)
        client.force_login(linked.admin)
        text = client.get(reverse("toolbox")).text
        assert "banner--success" in text and "Healthy" in text and "Accounts are up to date with the MIS" in text

    def test_a_paused_link_says_until_when(self, client, linked):
        MisConnection.objects.filter(school=linked.school_a).update(pause_until=date(2027, 8, 31))
        client.force_login(linked.admin)
        text = client.get(reverse("toolbox")).text
        assert "Paused" in text and "paused until 31 August 2027" in text

    def test_the_toolbox_home_runs_a_fixed_number_of_queries(self, client, linked, django_assert_num_queries):
        past_runs(linked.school_a, 2)
        client.force_login(linked.admin)
        client.get(reverse("toolbox"))
        with django_assert_num_queries(6) as few:
            client.get(reverse("toolbox"))
        past_runs(linked.school_a, 30, days_ago_from=3, status="failed", error_kind="auth")
        with django_assert_num_queries(len(few.captured_queries)):
            response = client.get(reverse("toolbox"))
        assert response.context["mis_health"].state == "healthy"

    def test_the_status_page_is_linked_from_the_toolbox_nav_and_cards(self, client, people):
        client.force_login(people.admin)
        text = client.get(reverse("toolbox")).text
        assert text.count(f'href="{reverse("mis_status")}"') == 2
