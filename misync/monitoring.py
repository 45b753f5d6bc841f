"""Sync health writes and live checks: alert e-mails and the "Test connection" button (issue 7).

`sync_health_check` is called at the end of every run (`misync.services.sync_run_execute`),
when a run is held (`notify_held`) and hourly by `misync.tasks.check_sync_health` for every
enabled school, which is how a school whose syncs silently stopped is noticed. The rules
(what state, which cause, which e-mail) are the pure functions in `misync.health`; this
module loads the facts, records what was sent and sends it.

`mis_connection_test` reads the MIS live with the school's settings and writes nothing.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import School
from misync.connectors.base import SourceError
from misync.health import STALE_AFTER, AlertDecision, Cause, Health, cause_for, contact_text, decide_alert
from misync.models import MisConnection, SyncRun
from misync.selectors import health_for_connection, school_admin_recipients

log = logging.getLogger(__name__)

SUBJECTS = {
    "first": "MIS sync for {school} needs attention: {title}",
    "reminder": "Reminder: MIS sync for {school} still needs attention",
    "recovery": "MIS sync for {school} is working again",
}
HELD_SUBJECT = "MIS sync held for {school}: waiting for your approval"


def status_url() -> str:
    """The absolute address of the MIS status page, for e-mails (built from SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + reverse("mis_status")


def sync_health_check(*, school: School, now: datetime | None = None) -> AlertDecision:
    """Assess the school's sync health and send the alert e-mail it calls for, if any.

    First alert when the link breaks (failing, held or stale / no recent sync) or the cause
    changes; at most one reminder a day while it stays broken; a recovery e-mail when it is
    healthy again after an alert. Recipients: the school's active admins and superadmins with
    an e-mail address.

    What was sent is claimed with a conditional update on the connection's alert fields, so a
    run finishing at the same moment as the hourly check never sends the same e-mail twice.
    The state is recorded even when no one has an address, so adding one later starts with a
    reminder rather than a burst of old "first" alerts.
    """
    now = now or timezone.now()
    connection = MisConnection.objects.select_related("school").filter(school=school).first()
    if connection is None:
        return AlertDecision(None)
    health = health_for_connection(connection=connection, now=now)
    decision = decide_alert(
        health=health, last_alert_state=connection.alert_state, last_alert_at=connection.alert_sent_at, now=now
    )
    if decision.kind is None:
        return decision
    claimed = MisConnection.objects.filter(
        pk=connection.pk, alert_state=connection.alert_state, alert_sent_at=connection.alert_sent_at
    ).update(
        alert_state=decision.cause_code if decision.kind != "recovery" else "healthy",
        alert_sent_at=now,
        alert_kind=decision.kind,
    )
    if not claimed:
        return AlertDecision(None, decision.cause_code)
    _send_alert(connection=connection, health=health, decision=decision)
    return decision


def _send_alert(*, connection: MisConnection, health: Health, decision: AlertDecision) -> int:
    school = connection.school
    recipients = school_admin_recipients(school=school)
    if not recipients:
        return 0
    cause = health.cause
    held_reasons: list[str] = []
    if cause is not None and cause.code == "held":
        held = SyncRun.objects.filter(school=school, status=SyncRun.Status.HELD).order_by("-created_at").first()
        held_reasons = list(held.hold_reasons) if held else []
    if decision.kind == "first" and cause is not None and cause.code == "held":
        subject = HELD_SUBJECT.format(school=school.name)
    else:
        subject = SUBJECTS[decision.kind].format(school=school.name, title=cause.title if cause else "")
    context = {
        "school": school,
        "health": health,
        "cause": cause,
        "contact": contact_text(cause, connection.connector) if cause else "",
        "last_success_local": health.last_success_at.astimezone(school.tzinfo) if health.last_success_at else None,
        "held_reasons": held_reasons,
        "status_url": status_url(),
    }
    sent = 0
    # The `date` filter shows times in the active time zone: the school's, not the server's.
    with timezone.override(school.tzinfo):
        for name, address in recipients:
            body = render_to_string(f"emails/mis_alert_{decision.kind}.txt", {**context, "recipient_name": name})
            sent += send_mail(
                subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[address]
            )
    return sent


def sync_health_check_quietly(*, school: School) -> None:
    """`sync_health_check` for the end of a run: a mail server being down must not fail the run."""
    try:
        sync_health_check(school=school)
    except Exception:
        log.exception("Sync health check for school %s failed", school.pk)


@dataclass(frozen=True)
class ConnectionTestResult:
    ok: bool
    connector: str
    checked_at: datetime
    pupils: int = 0
    classes: int = 0
    staff: int = 0
    as_of: datetime | None = None
    stale: bool = False
    cause: Cause | None = None
    contact: str = ""
    error_message: str = ""
    http_status: int | None = None


def mis_connection_test(*, school: School, connector=None) -> ConnectionTestResult:
    """Read the school's MIS now with its saved settings and say what came back. Writes nothing.

    The fetch runs outside any transaction (it is network I/O). On success: how many pupils,
    classes and staff the export holds, the source's own "as of" time and whether it is stale
    (older than 36 hours, the same rule as a run). On failure: the same cause a failed run
    would show. `connector` replaces the school's configured one (tests only).
    """
    # Imported here: misync.services imports this module for the end-of-run health check.
    from misync.services import connector_for

    now = timezone.now()
    name = MisConnection.objects.filter(school=school).values_list("connector", flat=True).first() or ""
    try:
        source = connector if connector is not None else connector_for(school=school)
        snapshot = source.fetch()
    except SourceError as exc:
        cause = cause_for(exc.kind)
        return ConnectionTestResult(
            ok=False,
            connector=name,
            checked_at=now,
            cause=cause,
            contact=contact_text(cause, name),
            error_message=exc.message,
            http_status=exc.status,
        )
    except Exception as exc:  # a connector bug reads as an unexpected export, as in a run
        log.exception("Test connection for school %s failed unexpectedly", school.pk)
        cause = cause_for("bad_format")
        return ConnectionTestResult(
            ok=False,
            connector=name,
            checked_at=now,
            cause=cause,
            contact=contact_text(cause, name),
            error_message=f"The MIS export could not be read: {exc}",
        )
    stale = snapshot.as_of is not None and now - snapshot.as_of > STALE_AFTER
    cause = cause_for("stale") if stale else None
    return ConnectionTestResult(
        ok=True,
        connector=name,
        checked_at=now,
        pupils=len(snapshot.pupils),
        classes=len(snapshot.groups),
        staff=len(snapshot.staff),
        as_of=snapshot.as_of,
        stale=stale,
        cause=cause,
        contact=contact_text(cause, name) if cause else "",
    )
