"""The pure sync-health rules: states, causes and which alert to send."""

from datetime import UTC, date, datetime, timedelta

import pytest

from misync.health import CAUSES, Health, RunFacts, assess, cause_for, contact_text, decide_alert

NOW = datetime(2026, 7, 23, 8, 0, tzinfo=UTC)
TODAY = NOW.date()


def run(status, hours_ago, kind="", as_of_hours_ago=None):
    at = NOW - timedelta(hours=hours_ago)
    as_of = NOW - timedelta(hours=as_of_hours_ago) if as_of_hours_ago is not None else at
    return RunFacts(status=status, started_at=at, finished_at=at + timedelta(minutes=1), error_kind=kind, source_as_of=as_of)


def health(runs, **kw):
    args = dict(enabled=True, paused_until=None, today=TODAY, now=NOW, enabled_since=NOW - timedelta(days=30), runs=runs)
    args.update(kw)
    return assess(**args)


class AssessTests:
    def test_a_recent_success_with_fresh_data_is_healthy(self):
        assert health([run("succeeded", 6)]).state == "healthy"

    def test_a_failed_newest_run_is_failing_with_the_cause_of_its_error(self):
        result = health([run("failed", 2, "auth"), run("failed", 26, "auth"), run("succeeded", 50)])
        assert result.state == "failing"
        assert result.cause.code == "auth"
        assert result.consecutive_failures == 2
        assert result.last_success_at == NOW - timedelta(hours=50) + timedelta(minutes=1)

    def test_a_held_run_shows_as_held(self):
        assert health([run("held", 3), run("succeeded", 27)]).state == "held"

    def test_data_older_than_36_hours_is_stale_even_when_requests_succeed(self):
        result = health([run("succeeded", 5, as_of_hours_ago=40)])
        assert (result.state, result.cause.code) == ("warning", "stale")

    def test_data_35_hours_old_is_not_stale(self):
        assert health([run("succeeded", 5, as_of_hours_ago=35)]).state == "healthy"

    def test_no_success_for_36_hours_is_flagged_even_if_nothing_failed(self):
        result = health([run("succeeded", 37)])
        assert (result.state, result.cause.code) == ("warning", "no_recent_sync")

    def test_a_newly_enabled_school_with_no_runs_is_flagged_after_36_hours(self):
        assert health([], enabled_since=NOW - timedelta(hours=10)).state == "healthy"
        assert health([], enabled_since=NOW - timedelta(hours=37)).cause.code == "no_recent_sync"

    def test_a_paused_school_is_paused_until_the_day_after_its_pause_date(self):
        assert health([run("failed", 2, "unreachable")], paused_until=TODAY).state == "paused"
        assert health([run("failed", 2, "unreachable")], paused_until=TODAY - timedelta(days=1)).state == "failing"

    def test_a_disabled_link_is_off(self):
        assert health([run("failed", 2, "auth")], enabled=False).state == "off"

    @pytest.mark.parametrize("kind", ["unreachable", "auth", "not_found", "server_error", "bad_format", "config"])
    def test_every_error_kind_has_a_plain_english_cause(self, kind):
        cause = cause_for(kind)
        assert cause.code == kind
        assert cause.checks and cause.explanation

    def test_engine_failures_are_not_blamed_on_the_mis(self):
        assert cause_for("apply").code == "apply" and "UPN" in cause_for("apply").explanation
        assert cause_for("interrupted").code == cause_for("busy").code == "interrupted"
        assert "our side" in cause_for("busy").contact

    def test_an_unknown_kind_reads_as_an_mis_error(self):
        assert cause_for("weird").code == "server_error"

    def test_the_contact_line_names_the_middleware(self):
        assert "Groupcall Xporter" in contact_text(CAUSES["auth"], "xporter")
        assert "school's IT or MIS support first" in contact_text(CAUSES["unreachable"], "wonde")


class AlertDecisionTests:
    failing = Health(state="failing", cause=CAUSES["unreachable"])
    healthy = Health(state="healthy")

    def test_the_first_failure_sends_a_first_alert(self):
        assert decide_alert(health=self.failing, last_alert_state="healthy", last_alert_at=None, now=NOW).kind == "first"

    def test_a_reminder_is_suppressed_within_a_day(self):
        decision = decide_alert(health=self.failing, last_alert_state="unreachable", last_alert_at=NOW - timedelta(hours=5), now=NOW)
        assert decision.kind is None

    def test_one_reminder_a_day_while_it_stays_broken(self):
        decision = decide_alert(health=self.failing, last_alert_state="unreachable", last_alert_at=NOW - timedelta(hours=24), now=NOW)
        assert decision.kind == "reminder"

    def test_a_new_cause_is_a_new_first_alert(self):
        decision = decide_alert(health=self.failing, last_alert_state="auth", last_alert_at=NOW - timedelta(hours=1), now=NOW)
        assert decision.kind == "first"

    def test_recovery_after_an_alert_sends_a_recovery_email(self):
        assert decide_alert(health=self.healthy, last_alert_state="unreachable", last_alert_at=NOW, now=NOW).kind == "recovery"

    def test_healthy_and_never_alerted_sends_nothing(self):
        assert decide_alert(health=self.healthy, last_alert_state="", last_alert_at=None, now=NOW).kind is None
