"""The rollover wizard: a task list, and per step a choose → check your answers → apply flow.

The choose and check pages are GETs (the check page re-validates the choice and lists exactly
what will change); only the apply URL, a POST with CSRF, changes anything, through one service
in accounts.services.rollover.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.access import admin_required, get_accounts_for_admin, get_groups_for_admin
from accounts.group_forms import WizardClassesForm, WizardLeaversForm
from accounts.models import YEAR_GROUP_LABELS, RolloverRun
from accounts.services.leavers import RefusedError
from accounts.services.rollover import (
    STEPS,
    class_changes_for,
    class_plan_problems,
    rollover_classes_apply,
    rollover_leavers_apply,
    rollover_run_current,
    rollover_year_groups_apply,
)


def _school_without_mis(request):
    """The wizard's steps are only for schools whose MIS does not do the rollover; others get a 404."""
    school = request.user.school
    if selectors.school_uses_mis(school=school):
        raise Http404("This school's rollover is done by the MIS sync")
    return school


def _ids(data, key) -> set[int]:
    return {int(v) for v in data.getlist(key) if v.isdigit()}


def _class_ids(data) -> set[int]:
    """The class ids named by the classes form's `name_<pk>` / `delete_<pk>` fields."""
    ids = set()
    for key in data:
        prefix, _, pk = key.partition("_")
        if prefix in ("name", "delete") and pk.isdigit():
            ids.add(int(pk))
    return ids


def _step_available(run: RolloverRun, step: str) -> bool:
    index = STEPS.index(step)
    return not run.is_done(step) and all(run.is_done(s) for s in STEPS[:index])


def _refuse_unavailable(request, run, step):
    """A step already completed, or whose earlier steps are not, sends the admin back to the task list."""
    if _step_available(run, step):
        return None
    if run.is_done(step):
        messages.info(request, f"“{RolloverRun.Step(step).label}” is already completed for {run.academic_year_label}.")
    else:
        messages.info(request, "Complete the earlier steps first.")
    return redirect("wizard")


@admin_required
def wizard(request):
    school = request.user.school
    if selectors.school_uses_mis(school=school):
        return render(request, "accounts/wizard/mis.html", {})
    run = rollover_run_current(school=school)
    tasks = []
    for step in STEPS:
        if run.is_done(step):
            status = "completed"
        elif _step_available(run, step):
            status = "not started"
        else:
            status = "cannot start yet"
        tasks.append(
            {"step": step, "label": RolloverRun.Step(step).label, "status": status, "done_at": run.done_at(step)}
        )
    context = {
        "run": run,
        "tasks": tasks,
        "all_done": all(run.is_done(s) for s in STEPS),
        "leavers_year": YEAR_GROUP_LABELS[school.leavers_year_group],
    }
    return render(request, "accounts/wizard/tasks.html", context)


# --- Step 1: leavers ---------------------------------------------------------------------


def _leavers_context(school, form):
    return {"form": form, "leavers_year": YEAR_GROUP_LABELS[school.leavers_year_group]}


@admin_required
def wizard_leavers(request):
    school = _school_without_mis(request)
    run = rollover_run_current(school=school)
    if refusal := _refuse_unavailable(request, run, RolloverRun.Step.LEAVERS):
        return refusal
    candidates = list(selectors.rollover_leaver_candidates(school=school))
    form = WizardLeaversForm(
        candidates=candidates,
        initial={"pupils": [p.pk for p in candidates], "leave_date": school.local_today().strftime("%d/%m/%Y")},
    )
    context = _leavers_context(school, form) | {"candidates": candidates}
    return render(request, "accounts/wizard/leavers.html", context)


@admin_required
def wizard_leavers_check(request):
    school = _school_without_mis(request)
    get_accounts_for_admin(request, _ids(request.GET, "pupils"))  # another school's pupil is a 404
    run = rollover_run_current(school=school)
    if refusal := _refuse_unavailable(request, run, RolloverRun.Step.LEAVERS):
        return refusal
    candidates = list(selectors.rollover_leaver_candidates(school=school))
    form = WizardLeaversForm(request.GET, candidates=candidates)
    if not form.is_valid():
        return render(
            request, "accounts/wizard/leavers.html", _leavers_context(school, form) | {"candidates": candidates}
        )
    chosen = set(form.cleaned_data["pupils"])
    context = _leavers_context(school, form) | {
        "leaving": [p for p in candidates if p.pk in chosen],
        "staying": [p for p in candidates if p.pk not in chosen],
        "leave_date": form.cleaned_data["leave_date"],
    }
    return render(request, "accounts/wizard/leavers_check.html", context)


@admin_required
@require_POST
def wizard_leavers_apply(request):
    school = _school_without_mis(request)
    if refusal := _refuse_unavailable(request, rollover_run_current(school=school), RolloverRun.Step.LEAVERS):
        return refusal
    get_accounts_for_admin(request, _ids(request.POST, "pupils"))
    candidates = list(selectors.rollover_leaver_candidates(school=school))
    form = WizardLeaversForm(request.POST, candidates=candidates)
    if not form.is_valid():
        messages.error(request, "The choice of leavers has changed since you checked it. Check it again.")
        return redirect("wizard_leavers")
    try:
        left = rollover_leavers_apply(
            school=school,
            actor=request.user,
            account_ids=set(form.cleaned_data["pupils"]),
            leave_date=form.cleaned_data["leave_date"],
        )
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect("wizard")
    noun = "pupil is" if left == 1 else "pupils are"
    messages.success(request, f"Step 1 completed: {left} {noun} now in the Leavers folder.")
    return redirect("wizard")


# --- Step 2: classes ---------------------------------------------------------------------


@admin_required
def wizard_classes(request):
    school = _school_without_mis(request)
    run = rollover_run_current(school=school)
    if refusal := _refuse_unavailable(request, run, RolloverRun.Step.CLASSES):
        return refusal
    form = WizardClassesForm(changes=class_changes_for(school=school))
    return render(request, "accounts/wizard/classes.html", {"form": form, "problems": []})


@admin_required
def wizard_classes_check(request):
    school = _school_without_mis(request)
    get_groups_for_admin(request, _class_ids(request.GET))  # another school's class is a 404
    run = rollover_run_current(school=school)
    if refusal := _refuse_unavailable(request, run, RolloverRun.Step.CLASSES):
        return refusal
    form = WizardClassesForm(request.GET, changes=class_changes_for(school=school))
    if not form.is_valid():
        return render(request, "accounts/wizard/classes.html", {"form": form, "problems": []})
    changes = class_changes_for(school=school, names=form.names(), delete_ids=form.delete_ids())
    problems = class_plan_problems(changes)
    if problems:
        return render(request, "accounts/wizard/classes.html", {"form": form, "problems": problems})
    context = {
        "form": form,
        "deleted": [c for c in changes if c.delete],
        "renamed": [c for c in changes if c.renamed or c.moves_up],
        "unchanged": [c for c in changes if not (c.delete or c.renamed or c.moves_up)],
        "labels": YEAR_GROUP_LABELS,
    }
    return render(request, "accounts/wizard/classes_check.html", context)


@admin_required
@require_POST
def wizard_classes_apply(request):
    school = _school_without_mis(request)
    if refusal := _refuse_unavailable(request, rollover_run_current(school=school), RolloverRun.Step.CLASSES):
        return refusal
    get_groups_for_admin(request, _class_ids(request.POST))
    form = WizardClassesForm(request.POST, changes=class_changes_for(school=school))
    if not form.is_valid():
        messages.error(request, "The classes have changed since you checked them. Check the new names again.")
        return redirect("wizard_classes")
    try:
        changes = rollover_classes_apply(
            school=school, actor=request.user, names=form.names(), delete_ids=form.delete_ids()
        )
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect("wizard")
    deleted = sum(1 for c in changes if c.delete)
    renamed = sum(1 for c in changes if c.renamed)
    messages.success(request, f"Step 2 completed: {deleted} classes deleted and {renamed} renamed.")
    return redirect("wizard")


# --- Step 3: year groups ------------------------------------------------------------------


@admin_required
def wizard_year_groups(request):
    school = _school_without_mis(request)
    run = rollover_run_current(school=school)
    if refusal := _refuse_unavailable(request, run, RolloverRun.Step.YEAR_GROUPS):
        return refusal
    rows = selectors.rollover_year_group_moves(school=school)
    return render(request, "accounts/wizard/year_groups.html", {"rows": rows})


@admin_required
@require_POST
def wizard_year_groups_apply(request):
    school = _school_without_mis(request)
    try:
        moved = rollover_year_groups_apply(school=school, actor=request.user)
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect("wizard")
    messages.success(request, f"Step 3 completed: {moved} pupils moved up a year group.")
    return redirect("wizard")
