"""MIS sync screens: settings (superadmin), runs and their changes, sync now, preview, held
runs' approve/reject, and issuing logins for a class. Thin views: access → form → one service."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from accounts.access import admin_required, superadmin_required
from misync import selectors
from misync.access import get_group_for_logins, get_login_issue_for_admin, get_run_for_admin
from misync.chart import chart_for
from misync.connectors.base import SourceError
from misync.filters import SyncChangeFilter
from misync.forms import IssueLoginsForm, MisSettingsForm, PreviewForm
from misync.models import LoginIssue, MisConnection, SyncRun
from misync.monitoring import mis_connection_test
from misync.planner import Plan
from misync.services import (
    SyncAlreadyRunningError,
    SyncRefusedError,
    login_issue_create,
    mis_settings_update,
    sync_preview,
    sync_run_approve,
    sync_run_create,
    sync_run_reject,
)
from misync.tables import SyncChangeTable, SyncRunTable
from misync.tasks import issue_logins, run_sync


@admin_required
def runs(request):
    school = request.user.school
    table = SyncRunTable(selectors.runs_for_school(school=school))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    context = {"table": table, "connection": selectors.connection_for(school=school)}
    return render(request, "misync/runs.html", context)


@admin_required
def run_detail(request, pk):
    run = get_run_for_admin(request, pk)
    changes = SyncChangeFilter(request.GET, queryset=selectors.changes_for_run(run=run))
    table = SyncChangeTable(changes.qs)
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    plan = Plan.from_json(run.held_plan) if run.status == SyncRun.Status.HELD and run.held_plan else None
    return render(request, "misync/run_detail.html", {"run": run, "filter": changes, "table": table, "plan": plan})


@admin_required
@require_POST
def sync_now(request):
    school = request.user.school
    try:
        run = sync_run_create(school=school, trigger=SyncRun.Trigger.MANUAL, actor=request.user)
    except SyncAlreadyRunningError as exc:
        messages.error(request, str(exc))
        return redirect("mis_runs")
    run_sync.delay_on_commit(run.pk)
    messages.success(request, f"Sync run #{run.pk} has started. This page shows its result when it finishes.")
    return redirect("mis_run", pk=run.pk)


@admin_required
@require_POST
def run_approve(request, pk):
    run = get_run_for_admin(request, pk)
    try:
        run = sync_run_approve(run=run, actor=request.user)
    except SyncRefusedError as exc:
        messages.error(request, str(exc))
        return redirect("mis_run", pk=run.pk)
    if run.status == SyncRun.Status.SUCCEEDED:
        messages.success(request, f"Sync run #{run.pk} was approved and its changes made.")
    elif run.status == SyncRun.Status.HELD:
        messages.warning(request, run.error_message)
    else:
        messages.error(request, f"Sync run #{run.pk} could not be applied: {run.error_message}")
    return redirect("mis_run", pk=run.pk)


@admin_required
@require_POST
def run_reject(request, pk):
    run = get_run_for_admin(request, pk)
    try:
        sync_run_reject(run=run, actor=request.user)
    except SyncRefusedError as exc:
        messages.error(request, str(exc))
        return redirect("mis_run", pk=run.pk)
    messages.success(request, f"Sync run #{run.pk} was rejected. Nothing was changed.")
    return redirect("mis_run", pk=run.pk)


@admin_required
def preview(request):
    """The plan for a chosen date, fetched now; nothing is applied (GET only)."""
    school = request.user.school
    bound = "date" in request.GET
    form = PreviewForm(request.GET if bound else None, initial={"date": school.local_today()})
    result, error = None, None
    if bound and form.is_valid():
        try:
            result = sync_preview(school=school, for_date=form.cleaned_data["date"])
        except SourceError as exc:
            error = exc
    return render(request, "misync/preview.html", {"form": form, "result": result, "error": error})


@superadmin_required
def settings_page(request):
    school = request.user.school
    connection = selectors.connection_for(school=school) or MisConnection(school=school)
    initial = {
        "connector": connection.connector,
        "base_url": connection.base_url,
        "school_ref": connection.school_ref,
        "enabled": connection.enabled,
        "nightly_time": connection.nightly_time,
        "pause_until": connection.pause_until,
        "sync_hold_percent": school.sync_hold_percent,
        "sync_hold_count": school.sync_hold_count,
    }
    form = MisSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        mis_settings_update(
            school=school,
            actor=request.user,
            values=form.cleaned_data,
            credentials=form.credentials(connection.get_credentials()),
        )
        messages.success(request, "MIS settings saved.")
        return redirect("mis_settings")
    return render(request, "misync/settings.html", {"form": form, "connection": connection})


@admin_required
def logins(request):
    school = request.user.school
    if request.method == "POST" and request.POST.get("group", "").isdigit():
        get_group_for_logins(request, request.POST["group"])  # another school's class is a 404
    form = IssueLoginsForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        group = form.cleaned_data["group"]
        issue = login_issue_create(
            school=school, group=group, actor=request.user, include_all=form.cleaned_data["include_all"]
        )
        issue_logins.delay_on_commit(issue.pk)
        return redirect("mis_login_issue", pk=issue.pk)
    return render(request, "misync/logins.html", {"form": form})


@admin_required
def login_issue(request, pk):
    issue = get_login_issue_for_admin(request, pk)
    if issue.status == LoginIssue.Status.DONE and issue.sheet_token:
        return redirect("credentials", token=issue.sheet_token)
    return render(request, "misync/login_issue.html", {"issue": issue})


# --- Sync health: status page, its chart, Test connection (issue 7) -------------------------


@admin_required
def status(request):
    school = request.user.school
    return render(request, "misync/status.html", selectors.status_page_for_school(school=school))


@admin_required
def status_chart(request):
    """The last 30 days of runs and changes as an SVG picture (the page carries a table of the same)."""
    school = request.user.school
    days = selectors.sync_activity(school=school, today=school.local_today())
    response = render(request, "misync/status_chart.svg", {"chart": chart_for(days)}, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-cache"  # a sync just run shows at once
    return response


@admin_required
@require_POST
def test_connection(request):
    """A live read of the MIS with the saved settings. Changes nothing, so the result is shown at once."""
    result = mis_connection_test(school=request.user.school)
    return render(request, "misync/test_connection.html", {"result": result})
