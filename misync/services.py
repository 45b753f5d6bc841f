"""Writes for the MIS sync: runs (create, execute, approve, reject), preview, settings, logins.

A run's life: `sync_run_create` inserts it as queued (the partial unique constraint makes a
second queued/running run of the same school impossible: "already running"); the task calls
`sync_run_execute`, which claims it with a conditional update (queued → running), fetches the
export OUTSIDE any transaction, plans, and either holds the plan (nothing applied, admins
e-mailed) or applies it in one durable transaction (`misync.apply.apply_plan`). A failed
apply rolls back completely and the run is recorded as failed.
"""

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.credential_sheets import Credential, credential_sheet_store
from accounts.credentials import password_generate
from accounts.models import Group, GroupMembership, Role, School, Status, User
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create, audit_record
from misync.apply import StateChangedError, apply_plan
from misync.connectors.base import ConnectorConfig, SourceError, get_connector
from misync.health import AlertDecision
from misync.models import LoginIssue, MisConnection, SyncRun
from misync.monitoring import sync_health_check, sync_health_check_quietly
from misync.planner import Plan, build_plan
from misync.selectors import load_school_state, thresholds_for
from misync.serialise import snapshot_from_json, snapshot_to_json
from misync.snapshot import Snapshot

log = logging.getLogger(__name__)

# How many times a plan is made again when the school's data changes under it.
REPLAN_LIMIT = 3


class SyncAlreadyRunningError(Exception):
    """Another run of this school is queued or running."""

    def __init__(self, school):
        super().__init__(f"A sync for {school.name} is already running. Wait for it to finish.")


class SyncRefusedError(Exception):
    """An action the run's status does not allow; the message is shown as it is."""


class TransientSyncError(Exception):
    """The fetch failed in a way a retry could fix; the run is queued again for the task to retry."""


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def connector_for(*, school: School):
    """The school's configured connector, or a SourceError(kind="config") explaining what is missing."""
    connection = MisConnection.objects.filter(school=school).first()
    if connection is None:
        raise SourceError("This school has no MIS settings yet", kind="config")
    config = ConnectorConfig(
        base_url=connection.base_url, school_ref=connection.school_ref, credentials=connection.get_credentials()
    )
    return get_connector(connection.connector, config)


# A run still "running" after this long was interrupted (worker killed mid-run: its transaction
# rolled back); one still "queued" after STALE_QUEUED lost its task. Either would otherwise block
# the school's syncs for ever, because of the one-active-run constraint.
STALE_RUNNING = timedelta(minutes=30)
STALE_QUEUED = timedelta(hours=6)


def sync_runs_reap_stale(*, school: School) -> int:
    """Mark this school's interrupted or lost runs as failed; returns how many."""
    now = timezone.now()
    return (
        SyncRun.objects.filter(school=school)
        .filter(
            Q(status=SyncRun.Status.RUNNING, started_at__lt=now - STALE_RUNNING)
            | Q(status=SyncRun.Status.QUEUED, created_at__lt=now - STALE_QUEUED)
        )
        .update(
            status=SyncRun.Status.FAILED,
            error_kind="interrupted",
            finished_at=now,
            error_message="This run was interrupted before it finished (nothing it planned was applied).",
        )
    )


def sync_run_create(
    *, school: School, trigger: str, for_date: date | None = None, actor: User | None = None, source: str = ""
) -> SyncRun:
    """Queue a run; raises SyncAlreadyRunningError when one is queued or running for the school."""
    sync_runs_reap_stale(school=school)
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                school=school,
                trigger=trigger,
                for_date=for_date or school.local_today(),
                requested_by=actor,
                source=source,
            )
    except IntegrityError:
        raise SyncAlreadyRunningError(school) from None


def _fail(run: SyncRun, *, kind: str, message: str, detail: str = "", status: int | None = None) -> SyncRun:
    run.status = SyncRun.Status.FAILED
    run.error_kind = kind
    run.error_message = message[:2000]
    run.error_detail = detail[:20000]
    run.http_status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error_kind", "error_message", "error_detail", "http_status", "finished_at"])
    return run


def _plan_and_apply(*, run: SyncRun, snapshot: Snapshot, today: date, actor: User | None) -> SyncRun:
    """Plan against the current state and apply, or hold. Re-plans if the state moves underneath."""
    school = run.school
    thresholds = thresholds_for(school=school)
    for _attempt in range(REPLAN_LIMIT):
        started = time.monotonic()
        state = load_school_state(school)
        plan = build_plan(state=state, snapshot=snapshot, today=today, thresholds=thresholds)
        run.plan_ms = _ms(started)
        if plan.held:
            return _hold(run, plan=plan, snapshot=snapshot, fingerprint=state.fingerprint)
        started = time.monotonic()
        try:
            apply_plan(school=school, run=run, plan=plan, expected_fingerprint=state.fingerprint, actor=actor)
        except StateChangedError:
            continue
        run.apply_ms = _ms(started)
        run.status = SyncRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at", "plan_ms", "apply_ms"])
        return run
    return _fail(
        run, kind="busy", message="The school's accounts kept changing while the sync ran. Try again in a few minutes."
    )


def _hold(run: SyncRun, *, plan: Plan, snapshot: Snapshot, fingerprint: str) -> SyncRun:
    run.status = SyncRun.Status.HELD
    run.held_plan = plan.to_json()
    run.held_snapshot = snapshot_to_json(snapshot)
    run.state_fingerprint = fingerprint
    run.hold_reasons = plan.hold_reasons
    for name, value in plan.counts.items():
        setattr(run, name, value)
    run.finished_at = timezone.now()
    run.save()
    transaction.on_commit(lambda: _notify_held_quietly(run))
    return run


def _notify_held_quietly(run: SyncRun) -> None:
    # A mail server being down must not turn a held run into a failed one; the runs page shows it anyway.
    try:
        notify_held(run)
    except Exception:
        log.exception("Could not e-mail the admins about held MIS sync run %s", run.pk)


def notify_held(run: SyncRun) -> AlertDecision:
    """Tell the school's admins that a run is waiting for them, through the sync-health alerting.

    Held is a "broken" state: the first e-mail (listing the hold reasons) goes out now, then at
    most one reminder a day until an admin approves or rejects it (`misync.monitoring`).
    """
    return sync_health_check(school=run.school)


def sync_run_execute(run_id: int, *, connector=None, final_attempt: bool = True) -> SyncRun | None:
    """Claim a queued run, fetch, plan, then hold or apply. Safe to call twice: only one claim wins.

    A transient fetch error puts the run back in the queue and raises TransientSyncError so the
    task can retry, unless this is the final attempt. Permanent errors fail the run at once.
    A run that ended (succeeded, failed or held) is followed by the school's sync-health check,
    which sends any alert or recovery e-mail.
    """
    run = _execute(run_id, connector=connector, final_attempt=final_attempt)
    if run is not None and run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.HELD):
        sync_health_check_quietly(school=run.school)
    return run


def _execute(run_id: int, *, connector, final_attempt: bool) -> SyncRun | None:
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    run = SyncRun.objects.select_related("school").filter(pk=run_id).first()
    if not claimed or run is None:
        return run
    try:
        source = connector if connector is not None else connector_for(school=run.school)
        started = time.monotonic()
        snapshot = source.fetch()  # network I/O: never inside a transaction
        run.fetch_ms = _ms(started)
        run.source = run.source or snapshot.source
        run.source_as_of = snapshot.as_of
        run.error_kind = run.error_message = run.error_detail = ""
        run.http_status = None
        run.save(
            update_fields=[
                "fetch_ms",
                "source",
                "source_as_of",
                "error_kind",
                "error_message",
                "error_detail",
                "http_status",
            ]
        )
    except SourceError as exc:
        if not exc.permanent and not final_attempt:
            SyncRun.objects.filter(pk=run.pk).update(
                status=SyncRun.Status.QUEUED,
                error_kind=exc.kind,
                error_message=exc.message[:2000],
                error_detail=exc.detail[:20000],
                http_status=exc.status,
            )
            raise TransientSyncError(exc.message) from exc
        return _fail(run, kind=exc.kind, message=exc.message, detail=exc.detail, status=exc.status)
    except Exception as exc:  # a connector bug must not leave the run "running"
        log.exception("MIS sync run %s: the connector failed unexpectedly", run.pk)
        return _fail(
            run, kind="bad_format", message=f"The MIS export could not be read: {exc}", detail=traceback.format_exc()
        )
    try:
        return _plan_and_apply(run=run, snapshot=snapshot, today=run.for_date, actor=None)
    except IntegrityError as exc:  # the apply rolled back
        log.exception("MIS sync run %s conflicts with existing accounts", run.pk)
        return _fail(
            run,
            kind="apply",
            message=(
                "The changes could not be saved, so nothing was changed: the MIS export conflicts with existing "
                "accounts or classes (for example two pupils with the same UPN or admission number). "
                f"Correct it in the MIS or on the account. Database message: {exc}"
            ),
            detail=traceback.format_exc(),
        )
    except Exception as exc:  # the apply rolled back; record why, then let the worker log it
        log.exception("MIS sync run %s failed while applying", run.pk)
        return _fail(run, kind="apply", message=f"The changes could not be saved: {exc}", detail=traceback.format_exc())


def sync_run_approve(*, run: SyncRun, actor: User) -> SyncRun:
    """Apply a held run's plan if the school's data is unchanged since it was planned.

    If anything changed, the snapshot is planned again for today: a plan that is still over the
    threshold stays held (with the new plan and fingerprint, for the admin to look at again);
    one that no longer needs a hold is applied. Then the sync-health check runs (a recovery
    e-mail once the link is healthy again).
    """
    run = _approve(run=run, actor=actor)
    sync_health_check_quietly(school=run.school)
    return run


def _approve(*, run: SyncRun, actor: User) -> SyncRun:
    sync_runs_reap_stale(school=run.school)
    try:
        with transaction.atomic():
            updated = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.HELD).update(
                status=SyncRun.Status.RUNNING,
                decided_by=actor,
                started_at=timezone.now(),
                trigger=SyncRun.Trigger.APPROVE,
            )
    except IntegrityError:  # another run of this school is queued or running
        raise SyncRefusedError(
            "Another sync for this school is running. Approve this one when it has finished."
        ) from None
    if not updated:
        raise SyncRefusedError("Only a held run can be approved")
    run.refresh_from_db()
    plan = Plan.from_json(run.held_plan)
    try:
        started = time.monotonic()
        apply_plan(school=run.school, run=run, plan=plan, expected_fingerprint=run.state_fingerprint, actor=actor)
        run.apply_ms = _ms(started)
        run.status = SyncRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "apply_ms", "finished_at"])
        return run
    except StateChangedError:
        snapshot = snapshot_from_json(run.held_snapshot)
        state = load_school_state(run.school)
        today = run.school.local_today()
        replanned = build_plan(
            state=state, snapshot=snapshot, today=today, thresholds=thresholds_for(school=run.school)
        )
        run.for_date = today
        run.save(update_fields=["for_date"])
        if replanned.held:
            _hold(run, plan=replanned, snapshot=snapshot, fingerprint=state.fingerprint)
            run.error_message = (
                "The school's data changed since this plan was made, so it was planned again. "
                "Check it and approve again."
            )
            run.save(update_fields=["error_message"])
            return run
        return _plan_and_apply(run=run, snapshot=snapshot, today=today, actor=actor)
    except Exception as exc:
        log.exception("Approving MIS sync run %s failed", run.pk)
        return _fail(run, kind="apply", message=f"The changes could not be saved: {exc}", detail=traceback.format_exc())


def sync_run_reject(*, run: SyncRun, actor: User) -> SyncRun:
    updated = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.HELD).update(
        status=SyncRun.Status.REJECTED, decided_by=actor, finished_at=timezone.now()
    )
    if not updated:
        raise SyncRefusedError("Only a held run can be rejected")
    run.refresh_from_db()
    ctx = AuditContext(school=run.school, actor=actor, source=f"MIS sync run #{run.pk}")
    audit_record(
        ctx=ctx,
        action="sync_rejected",
        target_type="school",
        target_id=run.school_id,
        target_label=run.school.name,
        detail={"run": run.pk},
    )
    return run


@dataclass(frozen=True)
class Preview:
    plan: Plan
    snapshot_as_of: object
    for_date: date


def sync_preview(*, school: School, for_date: date, connector=None) -> Preview:
    """What a run would do on `for_date`, applying nothing. Raises SourceError when the fetch fails."""
    source = connector if connector is not None else connector_for(school=school)
    snapshot = source.fetch()
    plan = build_plan(
        state=load_school_state(school), snapshot=snapshot, today=for_date, thresholds=thresholds_for(school=school)
    )
    return Preview(plan=plan, snapshot_as_of=snapshot.as_of, for_date=for_date)


@transaction.atomic(durable=True)
def mis_settings_update(*, school: School, actor: User, values: dict, credentials: dict | None) -> MisConnection:
    """Save the school's MIS settings and sync thresholds. `credentials=None` keeps the stored ones."""
    connection, _ = MisConnection.objects.select_for_update().get_or_create(school=school)
    if values["enabled"] and not connection.enabled:
        connection.enabled_at = timezone.now()
    for name in ("connector", "base_url", "school_ref", "enabled", "nightly_time", "pause_until"):
        setattr(connection, name, values[name])
    if credentials is not None:
        connection.set_credentials(credentials)
    connection.updated_at = timezone.now()
    connection.save()
    school.sync_hold_percent = values["sync_hold_percent"]
    school.sync_hold_count = values["sync_hold_count"]
    school.save(update_fields=["sync_hold_percent", "sync_hold_count"])
    ctx = AuditContext(school=school, actor=actor, source="MIS settings")
    audit_record(
        ctx=ctx,
        action="mis_settings_changed",
        target_type="school",
        target_id=school.pk,
        target_label=school.name,
        detail={
            "connector": connection.connector,
            "enabled": connection.enabled,
            "credentials_replaced": credentials is not None,
            "hold": [school.sync_hold_percent, school.sync_hold_count],
        },
    )
    return connection


# --- Issuing logins for a class ---------------------------------------------------------------

LOGIN_CHUNK = 50


def login_issue_create(*, school: School, group: Group, actor: User, include_all: bool) -> LoginIssue:
    """Record the request; `misync.tasks.issue_logins` does the hashing in chunks."""
    pupils = GroupMembership.objects.filter(
        group=group, role="pupil", end_date__isnull=True, user__status=Status.ACTIVE
    )
    if not include_all:
        pupils = pupils.filter(user__password__startswith="!")
    return LoginIssue.objects.create(
        school=school,
        group=group,
        group_name=group.name,
        requested_by=actor,
        include_all=include_all,
        total=pupils.count(),
    )


def login_issue_process(*, issue_id: int) -> LoginIssue | None:
    """Give the class's pupils new passwords, LOGIN_CHUNK at a time, recording progress as it goes.

    Each chunk is its own short transaction (hashing stays out of long locks); the plain-text
    passwords stay in this process's memory until they are handed, encrypted, to the
    credential sheet cache for the admin who asked.
    """
    claimed = LoginIssue.objects.filter(pk=issue_id, status=LoginIssue.Status.QUEUED).update(
        status=LoginIssue.Status.RUNNING
    )
    issue = LoginIssue.objects.select_related("school", "requested_by", "group").filter(pk=issue_id).first()
    if not claimed or issue is None:
        return issue
    try:
        return _login_issue_run(issue)
    except Exception as exc:
        log.exception("Issuing logins %s failed", issue.pk)
        LoginIssue.objects.filter(pk=issue.pk).update(
            status=LoginIssue.Status.FAILED, error_message=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


def _login_issue_run(issue: LoginIssue) -> LoginIssue:
    school = issue.school
    members = User.objects.filter(
        memberships__group_id=issue.group_id,
        memberships__role="pupil",
        memberships__end_date__isnull=True,
        status=Status.ACTIVE,
        role=Role.PUPIL,
        school=school,
    )
    if not issue.include_all:
        members = members.filter(password__startswith="!")
    ids = list(members.order_by("last_name", "first_name", "pk").values_list("pk", flat=True))
    LoginIssue.objects.filter(pk=issue.pk).update(total=len(ids))
    batch = audit_batch_create(
        school=school, kind="bulk", label=f"Logins issued for {issue.group_name}", actor=issue.requested_by
    )
    ctx = AuditContext(school=school, actor=issue.requested_by, source="Issue logins", batch=batch)
    rows = []
    for start in range(0, len(ids), LOGIN_CHUNK):
        chunk = ids[start : start + LOGIN_CHUNK]
        with transaction.atomic():
            users = list(
                User.objects.select_for_update().filter(pk__in=chunk).order_by("last_name", "first_name", "pk")
            )
            audit = AuditBuffer(ctx)
            for user in users:
                password = password_generate(style=school.password_style)
                user.password = make_password(password)
                rows.append(
                    Credential(
                        name=user.get_full_name(),
                        username=user.username,
                        password=password,
                        group=issue.group_name,
                        theme=user.theme,
                    )
                )
                audit.add_account(user, "password_issued", {"group": issue.group_name})
            User.objects.bulk_update(users, ["password"])
            audit.flush()
            LoginIssue.objects.filter(pk=issue.pk).update(done=F("done") + len(users))
    token = credential_sheet_store(admin=issue.requested_by, title=f"Logins for {issue.group_name}", rows=rows)
    LoginIssue.objects.filter(pk=issue.pk).update(
        status=LoginIssue.Status.DONE, sheet_token=token, finished_at=timezone.now()
    )
    issue.refresh_from_db()
    return issue
