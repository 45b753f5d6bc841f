"""The Groups page: the school's classes and an [Actions] menu per class.

Each action has its own URL: GET shows the form or confirmation page, POST (with CSRF) makes
the one change through a service in accounts.services.groups and redirects with a message.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.access import (
    admin_required,
    get_account_for_admin,
    get_accounts_for_admin,
    get_group_for_admin,
    get_groups_for_admin,
)
from accounts.group_forms import GroupCreateForm, GroupNameForm, MoveMembersForm, TeacherAddForm
from accounts.services.audit import AuditContext
from accounts.services.groups import (
    current_pupil_count,
    group_add_teacher,
    group_create,
    group_delete,
    group_move_members,
    group_remove_teacher,
    group_rename,
)
from accounts.services.leavers import RefusedError

SOURCE = "groups page"


def posted_ids(request, key: str) -> set[int]:
    """The whole-number values posted under `key` (anything else is left for the form to reject)."""
    return {int(v) for v in request.POST.getlist(key) if v.isdigit()}


def _ctx(request) -> AuditContext:
    return AuditContext(school=request.user.school, actor=request.user, source=SOURCE)


@admin_required
def groups(request):
    school = request.user.school
    context = {
        "groups": selectors.groups_with_pupil_counts(school=school),
        "uses_mis": selectors.school_uses_mis(school=school),
    }
    return render(request, "accounts/groups/list.html", context)


@admin_required
def group_new(request):
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = group_create(
                ctx=_ctx(request), name=form.cleaned_data["name"], year_group=form.cleaned_data["year_group"]
            )
        except RefusedError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"Class “{group.name}” created.")
            return redirect("groups")
    return render(request, "accounts/groups/new.html", {"form": form})


@admin_required
def group_rename_view(request, pk):
    group = get_group_for_admin(request, pk)
    if group.mis_managed:
        return render(request, "accounts/groups/mis_managed.html", {"group": group, "verb": "rename"})
    form = GroupNameForm(request.POST or None, initial={"name": group.name})
    if request.method == "POST" and form.is_valid():
        old = group.name
        try:
            group = group_rename(ctx=_ctx(request), group=group, name=form.cleaned_data["name"])
        except RefusedError as exc:
            form.add_error("name", str(exc))
        else:
            if group.name == old:
                messages.info(request, f"“{old}” kept its name.")
            else:
                messages.success(request, f"“{old}” is now called “{group.name}”.")
            return redirect("groups")
    return render(request, "accounts/groups/rename.html", {"group": group, "form": form})


@admin_required
def group_delete_view(request, pk):
    group = get_group_for_admin(request, pk)
    if group.mis_managed:
        return render(request, "accounts/groups/mis_managed.html", {"group": group, "verb": "delete"})
    if request.method == "POST":
        name = group.name
        try:
            group_delete(ctx=_ctx(request), group=group)
        except RefusedError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Class “{name}” deleted.")
        return redirect("groups")
    _, teachers = selectors.group_current_members(group=group)
    context = {"group": group, "pupil_count": current_pupil_count(group), "teachers": teachers}
    return render(request, "accounts/groups/delete.html", context)


@admin_required
def group_members(request, pk):
    group = get_group_for_admin(request, pk)
    pupils, teachers = selectors.group_current_members(group=group)
    return render(request, "accounts/groups/members.html", {"group": group, "pupils": pupils, "teachers": teachers})


@admin_required
def group_move(request, pk):
    group = get_group_for_admin(request, pk)
    if request.method == "POST":  # another school's pupil or class is a 404, not a form error
        get_accounts_for_admin(request, posted_ids(request, "pupils"))
        get_groups_for_admin(request, posted_ids(request, "to"))
    pupils, _ = selectors.group_current_members(group=group)
    others = [g for g in selectors.groups_with_pupil_counts(school=request.user.school) if g.pk != group.pk]
    form = MoveMembersForm(
        request.POST or None, pupils=pupils, groups=others, initial={"pupils": [m.user_id for m in pupils]}
    )
    if request.method == "POST" and form.is_valid():
        to = get_group_for_admin(request, form.cleaned_data["to"])
        try:
            moved = group_move_members(
                ctx=_ctx(request),
                group=group,
                account_ids=set(form.cleaned_data["pupils"]),
                to=to,
                on=request.user.school.local_today(),
            )
        except RefusedError as exc:
            form.add_error(None, str(exc))
        else:
            noun = "pupil" if moved == 1 else "pupils"
            messages.success(request, f"Moved {moved} {noun} from “{group.name}” to “{to.name}”.")
            return redirect("group_members", pk=group.pk)
    return render(request, "accounts/groups/move.html", {"group": group, "form": form, "pupils": pupils})


def _teachers_page(request, group, form):
    _, teachers = selectors.group_current_members(group=group)
    return render(request, "accounts/groups/teachers.html", {"group": group, "teachers": teachers, "form": form})


def _staff_choices(request, group):
    _, teachers = selectors.group_current_members(group=group)
    attached = {m.user_id for m in teachers}
    return [u for u in selectors.staff_for_school(school=request.user.school) if u.pk not in attached]


@admin_required
def group_teachers(request, pk):
    group = get_group_for_admin(request, pk)
    return _teachers_page(request, group, TeacherAddForm(staff=_staff_choices(request, group)))


@admin_required
@require_POST
def group_teacher_add(request, pk):
    group = get_group_for_admin(request, pk)
    get_accounts_for_admin(request, posted_ids(request, "teacher"))
    form = TeacherAddForm(request.POST, staff=_staff_choices(request, group))
    if form.is_valid():
        teacher = get_account_for_admin(request, form.cleaned_data["teacher"])
        try:
            group_add_teacher(ctx=_ctx(request), group=group, teacher=teacher, on=request.user.school.local_today())
        except RefusedError as exc:
            form.add_error("teacher", str(exc))
        else:
            messages.success(
                request, f"{teacher.get_full_name() or teacher.username} is now a teacher of “{group.name}”."
            )
            return redirect("group_teachers", pk=group.pk)
    return _teachers_page(request, group, form)


@admin_required
def group_teacher_remove(request, pk, user_pk):
    group = get_group_for_admin(request, pk)
    teacher = get_account_for_admin(request, user_pk)
    if request.method == "POST":
        try:
            group_remove_teacher(ctx=_ctx(request), group=group, teacher=teacher, on=request.user.school.local_today())
        except RefusedError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"{teacher.get_full_name() or teacher.username} is no longer a teacher of “{group.name}”."
            )
        return redirect("group_teachers", pk=group.pk)
    return render(request, "accounts/groups/teacher_remove.html", {"group": group, "teacher": teacher})
