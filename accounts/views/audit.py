"""The audit log: every change, who made it, when, to what, and the batch it belonged to."""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import render

from accounts import selectors
from accounts.access import admin_required
from accounts.filters import AuditFilter
from accounts.tables import AuditTable

PER_PAGE = 50


@admin_required
def audit_log(request):
    school = request.user.school
    filterset = AuditFilter(
        request.GET or None, queryset=selectors.audit_entries_for_admin(school=school), school=school
    )
    table = AuditTable(filterset.qs)
    try:
        table.paginate(page=request.GET.get("page", 1), per_page=PER_PAGE)
    except (EmptyPage, PageNotAnInteger):
        table.paginate(page=1, per_page=PER_PAGE)
    return render(request, "accounts/audit_log.html", {"filter": filterset, "table": table})
