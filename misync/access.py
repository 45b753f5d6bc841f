"""Tenant scoping for the MIS sync: another school's run or class is a 404, never a 403."""

from django.shortcuts import get_object_or_404

from accounts.models import Group
from misync.models import LoginIssue, SyncRun


def get_run_for_admin(request, pk) -> SyncRun:
    return get_object_or_404(
        SyncRun.objects.select_related("school", "decided_by"), pk=pk, school_id=request.user.school_id
    )


def get_group_for_logins(request, pk) -> Group:
    return get_object_or_404(Group, pk=pk, school_id=request.user.school_id)


def get_login_issue_for_admin(request, pk) -> LoginIssue:
    # Only the admin who asked can follow it: the credentials at the end are theirs alone.
    return get_object_or_404(LoginIssue, pk=pk, school_id=request.user.school_id, requested_by=request.user)
