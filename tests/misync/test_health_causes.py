"""Each cause of a broken MIS link, driven through the fake MIS's failure switches over real HTTP.

Real syncs (`sync_run_execute` against the fake Xporter) fail, go stale or are held; the tests
check the run's error kind, the cause the school is told, the toolbox banner, the first alert
e-mail and what Test connection reports for the same failure.
"""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role, User
from misync.health import CAUSES
from misync.selectors import health_for_school
from tests.misync.health_fixtures import ADMIN_EMAIL, fake_mis, linked, sync  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

FAILED_RUNS = [
    ("down", "unreachable"),
    ("401", "auth"),
    ("404", "not_found"),
    ("500", "server_error"),
    ("malformed", "bad_format"),
]


class FailedRunCauseTests:
    @pytest.mark.parametrize(("failure", "kind"), FAILED_RUNS)
    def test_a_failed_run_is_explained_by_the_cause_that_fits_its_error(self, linked, failure, kind):
        assert sync(linked.school_a).status == "succeeded"
        linked.fake.set_failure(failure)
        run = sync(linked.school_a)
        assert (run.status, run.error_kind) == ("failed", kind)
        health = health_for_school(school=linked.school_a)
        assert (health.state, health.cause.code) == ("failing", kind)
        assert health.consecutive_failures == 1 and health.last_success_at is not None

    @pytest.mark.parametrize(("failure", "kind"), FAILED_RUNS)
    def test_the_toolbox_banner_names_the_cause_and_links_to_the_status_page(self, client, linked, failure, kind):
        linked.fake.set_failure(failure)
        sync(linked.school_a)
        client.force_login(linked.admin)
        text = client.get(reverse("toolbox")).text
        assert "Failing" in text and escape(CAUSES[kind].title) in text
        assert "1 failed attempt in a row" in text and "No successful sync yet" in text
        assert reverse("mis_status") in text

    @pytest.mark.parametrize(("failure", "kind"), FAILED_RUNS)
    def test_the_admins_are_sent_a_first_alert_with_the_cause_checks_and_contact(self, linked, failure, kind):
        linked.fake.set_failure(failure)
        sync(linked.school_a)
        [message] = mail.outbox
        cause = CAUSES[kind]
        assert message.to == [ADMIN_EMAIL]
        assert message.subject == f"MIS sync for Alder Primary needs attention: {cause.title}"
        assert cause.explanation in message.body and cause.checks[0] in message.body
        assert "Groupcall Xporter" in message.body  # who to contact names the middleware
        assert "https://accounts.example.org/mis/status/" in message.body

    @pytest.mark.parametrize(("failure", "kind"), FAILED_RUNS)
    def test_test_connection_reports_the_same_cause(self, client, linked, failure, kind):
        linked.fake.set_failure(failure)
        client.force_login(linked.admin)
        response = client.post(reverse("mis_test_connection"))
        assert response.status_code == 200
        assert "The connection test failed" in response.text and escape(CAUSES[kind].title) in response.text
        assert response.context["result"].cause.code == kind


class StaleDataTests:
    def test_a_run_with_data_older_than_36_hours_succeeds_but_shows_stale(self, client, linked):
        linked.fake.set_failure("stale")
        run = sync(linked.school_a)
        assert run.status == "succeeded" and run.created == 30  # apply still ran
        assert run.source_as_of is not None and (run.finished_at - run.source_as_of).days >= 2
        health = health_for_school(school=linked.school_a)
        assert (health.state, health.cause.code) == ("warning", "stale")
        client.force_login(linked.admin)
        text = client.get(reverse("toolbox")).text
        assert "Warning" in text and escape(CAUSES["stale"].title) in text

    def test_stale_data_sends_a_first_alert(self, linked):
        linked.fake.set_failure("stale")
        sync(linked.school_a)
        [message] = mail.outbox
        assert CAUSES["stale"].title in message.subject and "Xporter service" in message.body

    def test_test_connection_warns_that_the_data_is_stale(self, client, linked):
        linked.fake.set_failure("stale")
        client.force_login(linked.admin)
        response = client.post(reverse("mis_test_connection"))
        assert "its data is out of date" in response.text and escape(CAUSES["stale"].title) in response.text
        assert response.context["result"].stale and response.context["result"].pupils == 30


class HeldRunTests:
    def test_an_empty_export_is_held_shown_as_held_and_the_admins_are_told(self, client, linked):
        sync(linked.school_a)
        linked.fake.set_failure("empty")
        run = sync(linked.school_a)
        assert run.status == "held"
        assert User.objects.filter(school=linked.school_a, role=Role.PUPIL, status="active").count() == 31
        assert health_for_school(school=linked.school_a).state == "held"
        [message] = mail.outbox
        assert message.subject == "MIS sync held for Alder Primary: waiting for your approval"
        assert "Why it was held:" in message.body and "30 of 31 active pupils" in message.body
        client.force_login(linked.admin)
        text = client.get(reverse("toolbox")).text
        assert "Held" in text and escape(CAUSES["held"].title) in text
        status_page = client.get(reverse("mis_status")).text
        assert reverse("mis_run", args=[run.pk]) in status_page

    def test_the_run_and_the_held_notice_send_one_e_mail_not_two(self, linked, django_capture_on_commit_callbacks):
        sync(linked.school_a)
        linked.fake.set_failure("empty")
        with django_capture_on_commit_callbacks(execute=True):
            sync(linked.school_a)
        assert len(mail.outbox) == 1


class TestConnectionSuccessTests:
    def test_a_working_link_reports_its_counts_and_as_of_time(self, client, linked):
        client.force_login(linked.admin)
        response = client.post(reverse("mis_test_connection"))
        result = response.context["result"]
        assert result.ok and not result.stale
        assert (result.pupils, result.classes, result.staff) == (
            30,
            len(linked.fake.data.classes),
            len(linked.fake.data.staff),
        )
        assert "We reached your MIS and read its data" in response.text and "Nothing was changed" in response.text
