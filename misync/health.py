"""Sync health: what state a school's MIS link is in, and which real-world cause fits.

Pure functions over plain facts (no ORM), so every rule is tested without a database. The
selectors in `misync.selectors` load the facts; the alerting service decides which e-mail
to send from the state returned here.

The causes follow DESIGN §3 "When the MIS link breaks": an office manager is told in plain
words what probably happened, who to contact (the school's IT/MIS support first, the
middleware's support second) and what to check.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

STALE_AFTER = timedelta(hours=36)


@dataclass(frozen=True)
class Cause:
    code: str
    title: str
    explanation: str
    checks: tuple[str, ...]
    contact: str


_IT_FIRST = (
    "Contact your school's IT or MIS support first. If they cannot fix it, contact the support team of "
    "your MIS link ({middleware})."
)

CAUSES: dict[str, Cause] = {
    "unreachable": Cause(
        code="unreachable",
        title="We cannot reach your MIS",
        explanation=(
            "Our requests to your MIS server got no answer. The server may be switched off or under "
            "maintenance, it may have been replaced or moved to a new server, or the school's network may "
            "have changed (firewall, proxy, port, or the server's name or address)."
        ),
        checks=(
            "Is the MIS server switched on, and can staff use the MIS in school today?",
            "Has the MIS recently moved to a new server or to the cloud?",
            "Have there been changes to the school's firewall, proxy or internet connection?",
        ),
        contact=_IT_FIRST,
    ),
    "auth": Cause(
        code="auth",
        title="Your MIS refused our login",
        explanation=(
            "The MIS or its link accepted our connection but said the login details are wrong. The "
            "password or access key for the MIS account used by the link has probably been changed, has "
            "expired, or the account has been removed."
        ),
        checks=(
            "Has the password of the MIS account used for the link been changed or expired?",
            "Has the link's access been removed or revoked in the MIS or the middleware's portal?",
            "If the details changed, a superadmin can enter the new ones under MIS settings.",
        ),
        contact=_IT_FIRST,
    ),
    "not_found": Cause(
        code="not_found",
        title="The MIS link's address no longer works",
        explanation=(
            "Your MIS server answered, but the part that shares data with us was not there. The link's "
            "software (for example Groupcall Xporter) may have been uninstalled, or its address has changed."
        ),
        checks=(
            "Is the link's software (for example Groupcall Xporter) still installed on the MIS server?",
            "Has the address or school number in our MIS settings changed?",
        ),
        contact=_IT_FIRST,
    ),
    "server_error": Cause(
        code="server_error",
        title="Your MIS or its link reported an error",
        explanation=(
            "The MIS or the link's software answered with an error of its own. This often happens after "
            "the MIS has been updated, or when the MIS is busy or part-way through maintenance."
        ),
        checks=(
            "Has the MIS been updated recently?",
            "Is the MIS working normally for staff today?",
            "We will try again automatically; if the next nightly sync also fails, ask for help.",
        ),
        contact=_IT_FIRST,
    ),
    "bad_format": Cause(
        code="bad_format",
        title="The data from your MIS is not in the shape we expect",
        explanation=(
            "We received data, but it was not laid out as it normally is. The MIS software or the export "
            "format has probably changed, for example after an upgrade or a change of MIS."
        ),
        checks=(
            "Has the school changed or upgraded its MIS recently?",
            "Has anyone changed how the export is set up?",
        ),
        contact=_IT_FIRST,
    ),
    "config": Cause(
        code="config",
        title="The MIS settings are incomplete",
        explanation="Some of the details we need to connect to your MIS are missing or not valid.",
        checks=("A superadmin should check the address, school number and login details under MIS settings.",),
        contact="Ask your school's superadmin to check the MIS settings.",
    ),
    "stale": Cause(
        code="stale",
        title="Your MIS data has stopped updating",
        explanation=(
            "We can still reach the MIS link, but the data it gives us has not changed for more than 36 "
            "hours. The link's service on the MIS server has probably stopped, so it keeps sending an old "
            "copy."
        ),
        checks=(
            "Is the link's service (for example the Xporter service) running on the MIS server?",
            "Was the MIS server restarted recently? The service may not have started again.",
        ),
        contact=_IT_FIRST,
    ),
    "no_recent_sync": Cause(
        code="no_recent_sync",
        title="No sync has finished for more than 36 hours",
        explanation=(
            "No nightly sync has completed recently, even though none has failed. The sync may not have "
            "been able to start."
        ),
        checks=("Check the MIS status page tomorrow morning. If nothing has run, contact our support.",),
        contact="Contact our support team: this is usually a problem on our side, not the school's.",
    ),
    "apply": Cause(
        code="apply",
        title="The changes from your MIS could not be saved",
        explanation=(
            "We read your MIS, but its data conflicts with accounts or classes already here (for example two "
            "pupils with the same UPN or admission number), so nothing was changed."
        ),
        checks=(
            "Open the failed run on the MIS sync page: its message names the conflict.",
            "Correct the record in the MIS, or on the account here; the next sync will try again.",
        ),
        contact=(
            "Whoever looks after pupil records in your MIS can correct it there. If the message is unclear, "
            "contact our support team."
        ),
    ),
    "interrupted": Cause(
        code="interrupted",
        title="A sync stopped before it finished",
        explanation=(
            "A sync was interrupted on our side (for example by a server restart), or the school's accounts "
            "kept changing while it ran. Nothing was half-done: the changes it planned were not made."
        ),
        checks=("Press Sync now on the MIS sync page, or wait for tonight's sync.",),
        contact="If it keeps happening, contact our support team: this is a problem on our side, not the school's.",
    ),
    "held": Cause(
        code="held",
        title="A sync is waiting for your approval",
        explanation=(
            "The last sync would have made many pupils leave without a leave date in the MIS, which usually "
            "means the export was empty or only partly complete. Nothing has been changed."
        ),
        checks=(
            "Open the held sync and check the list of pupils it would remove.",
            "Approve it if the changes are right, or reject it and check the MIS.",
        ),
        contact="An admin can approve or reject the held sync from the MIS status page.",
    ),
}


def middleware_name(connector: str) -> str:
    return {
        "xporter": "Groupcall Xporter",
        "wonde": "Wonde",
        "oneroster": "your OneRoster export provider",
        "csv": "whoever produces your MIS export file",
    }.get(connector, "your MIS link provider")


# Run error kinds that are not SourceError kinds: "busy" (the accounts kept changing while the
# run planned) reads like an interrupted run; "apply" and "interrupted" have causes of their own.
_KIND_ALIASES = {"busy": "interrupted"}


def cause_for(kind: str | None) -> Cause:
    """The cause for a run's error kind (SourceError kinds, see misync.connectors.base, plus "apply",
    "interrupted" and "busy" from the engine); unknown kinds read as an MIS error."""
    kind = _KIND_ALIASES.get(kind or "", kind or "")
    return CAUSES.get(kind, CAUSES["server_error"])


def contact_text(cause: Cause, connector: str) -> str:
    return cause.contact.format(middleware=middleware_name(connector))


@dataclass(frozen=True)
class RunFacts:
    """The few facts about one sync run that health needs."""

    status: str  # queued, running, succeeded, held, failed, rejected
    started_at: datetime | None
    finished_at: datetime | None
    error_kind: str = ""
    source_as_of: datetime | None = None
    changes: int = 0


@dataclass(frozen=True)
class Health:
    state: str  # off, paused, healthy, warning, failing, held
    cause: Cause | None = None
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    consecutive_failures: int = 0
    source_as_of: datetime | None = None
    paused_until: date | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_broken(self) -> bool:
        return self.state in ("warning", "failing", "held")


def assess(
    *,
    enabled: bool,
    paused_until: date | None,
    today: date,
    now: datetime,
    enabled_since: datetime | None,
    runs: list[RunFacts],
) -> Health:
    """The school's sync health from its runs, newest first.

    - off: integration not enabled; paused: paused until a date on or after today;
    - held: the newest finished run is waiting for approval;
    - failing: the newest finished run failed (cause from its error kind);
    - warning: no run has succeeded for 36 hours although none failed (e.g. the scheduler
      stopped), or the last success brought stale data (source "as of" older than 36 hours);
    - healthy otherwise.
    """
    finished = [r for r in runs if r.status in ("succeeded", "held", "failed", "rejected")]
    successes = [r for r in finished if r.status == "succeeded"]
    last_success = successes[0] if successes else None
    last_attempt = next((r for r in runs if r.started_at), None)
    failures = 0
    for run in finished:
        if run.status != "failed":
            break
        failures += 1
    common = dict(
        last_success_at=last_success.finished_at if last_success else None,
        last_attempt_at=last_attempt.started_at if last_attempt else None,
        consecutive_failures=failures,
        source_as_of=last_success.source_as_of if last_success else None,
    )
    if not enabled:
        return Health(state="off", **common)
    if paused_until and paused_until >= today:
        return Health(state="paused", paused_until=paused_until, **common)
    newest = finished[0] if finished else None
    if newest and newest.status == "held":
        return Health(state="held", cause=CAUSES["held"], **common)
    if newest and newest.status == "failed":
        return Health(state="failing", cause=cause_for(newest.error_kind), **common)
    reference = last_success.finished_at if last_success else enabled_since
    if reference and now - reference > STALE_AFTER:
        return Health(state="warning", cause=CAUSES["no_recent_sync"], **common)
    if last_success and last_success.source_as_of and now - last_success.source_as_of > STALE_AFTER:
        return Health(state="warning", cause=CAUSES["stale"], **common)
    return Health(state="healthy", **common)


@dataclass(frozen=True)
class AlertDecision:
    kind: str | None  # "first", "reminder", "recovery" or None
    cause_code: str = ""


def decide_alert(
    *, health: Health, last_alert_state: str, last_alert_at: datetime | None, now: datetime
) -> AlertDecision:
    """Which e-mail, if any, to send now.

    First alert when the link becomes broken (failing, held or stale) or its cause changes;
    at most one reminder a day while it stays broken; one recovery e-mail when it is healthy
    again after an alert.
    """
    broken = health.is_broken
    was_broken = last_alert_state not in ("", "healthy", "off", "paused")
    cause_code = health.cause.code if health.cause else ""
    if broken and not was_broken:
        return AlertDecision("first", cause_code)
    if broken and was_broken:
        if last_alert_state != cause_code:
            return AlertDecision("first", cause_code)
        if last_alert_at is None or now - last_alert_at >= timedelta(hours=24):
            return AlertDecision("reminder", cause_code)
        return AlertDecision(None, cause_code)
    if not broken and was_broken and health.state == "healthy":
        return AlertDecision("recovery", "")
    return AlertDecision(None, cause_code)
