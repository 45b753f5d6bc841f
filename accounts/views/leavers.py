"""The Leavers folder: who left, when and how; reinstate into a class or delete now."""

from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import redirect, render

from accounts import selectors
from accounts.access import admin_required, get_leaver_for_admin
from accounts.forms import ReinstateForm, retention_months_for_days
from accounts.services.leavers import RefusedError
from accounts.services.leavers_folder import leaver_delete as leaver_delete_service
from accounts.services.leavers_folder import leaver_reinstate as leaver_reinstate_service
from accounts.tables import LeaverTable


@admin_required
def leavers_list(request):
    school = request.user.school
    table = LeaverTable(selectors.leavers_for_admin(school=school), order_by=request.GET.get("sort") or None)
    try:
        table.paginate(page=request.GET.get("page", 1), per_page=50)
    except (EmptyPage, PageNotAnInteger):
        table.paginate(page=1, per_page=50)
    context = {
        "table": table,
        "retention_days": school.leaver_retention_days,
        "retention_months": retention_months_for_days(school.leaver_retention_days),
    }
    return render(request, "accounts/leavers_list.html", context)


@admin_required
def leaver_reinstate(request, pk):
    leaver = get_leaver_for_admin(request, pk)
    school = request.user.school
    form = ReinstateForm(request.POST or None, school=school, initial={"group": selectors.last_class_for(account=leaver)})
    refusal = None
    if request.method == "POST" and form.is_valid():
        group = form.cleaned_data["group"]
        try:
            leaver_reinstate_service(actor=request.user, account=leaver, group=group, today=school.local_today())
        except RefusedError as exc:
            refusal = str(exc)
        else:
            where = f" in {group.name}" if group else ""
            messages.success(request, f"{leaver.get_full_name()} is active again{where} and can sign in.")
            return redirect("leavers_list")
    return render(request, "accounts/leaver_reinstate.html", {"leaver": leaver, "form": form, "refusal": refusal})


@admin_required
def leaver_delete(request, pk):
    leaver = get_leaver_for_admin(request, pk)
    refusal = None
    if request.method == "POST":
        try:
            leaver_delete_service(actor=request.user, account=leaver)
        except RefusedError as exc:
            refusal = str(exc)
        else:
            messages.success(request, f"{leaver.get_full_name()} was deleted for good.")
            return redirect("leavers_list")
    return render(request, "accounts/leaver_delete.html", {"leaver": leaver, "refusal": refusal})
