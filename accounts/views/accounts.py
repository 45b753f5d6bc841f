"""The Accounts tab, its bulk actions, the account (pupil/staff) page and New account."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format

from accounts import selectors
from accounts.access import admin_required, get_account_for_admin, get_account_selection_for_admin
from accounts.credential_sheets import credential_sheet_store
from accounts.filters import AccountFilter
from accounts.forms import (
    BulkSelectionForm,
    LeaveForm,
    MoveForm,
    NewAccountForm,
    PupilForm,
    StaffForm,
)
from accounts.models import Role, Status, User
from accounts.services.bulk import (
    accounts_bulk_delete,
    accounts_bulk_leave,
    accounts_bulk_move,
    accounts_bulk_reset_passwords,
)
from accounts.services.leavers import RefusedError
from accounts.services.passwords import RESET_MAX
from accounts.services.pupils import pupil_update
from accounts.services.staff import account_create_by_hand, staff_update
from accounts.tables import AccountTable

PAGE_SIZES = (25, 50, 100)
# Querystring keys that belong to the table's view of the list, not to which accounts match.
VIEW_KEYS = ("page", "per_page", "sort")


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def _filter_query(querydict) -> str:
    query = querydict.copy()
    for key in VIEW_KEYS:
        query.pop(key, None)
    return query.urlencode()


@admin_required
def accounts_list(request):
    school = request.user.school
    filterset = AccountFilter(
        request.GET or None, queryset=selectors.accounts_for_admin_list(school=school), school=school
    )
    table = AccountTable(filterset.qs, order_by=request.GET.get("sort") or None)
    per_page = _page_size(request)
    try:
        table.paginate(page=request.GET.get("page", 1), per_page=per_page)
    except (EmptyPage, PageNotAnInteger):
        table.paginate(page=1, per_page=per_page)
    context = {
        "filter": filterset,
        "table": table,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "filter_query": _filter_query(request.GET),
        "reset_max": RESET_MAX,
    }
    return render(request, "accounts/accounts_list.html", context)


# --- Bulk actions: GET shows the confirmation, POST (with CSRF) applies ----------------------


@dataclass
class Selection:
    form: BulkSelectionForm
    accounts: list[User]
    ids: set[int]
    back_url: str
    changed: bool = False  # "all matching" now matches a different number than was confirmed


def _accounts_url(filter_query: str) -> str:
    return reverse("accounts_list") + (f"?{filter_query}" if filter_query else "")


def _selection(request):
    """The accounts this bulk request is about, or None when nothing valid was selected."""
    data = request.POST if request.method == "POST" else request.GET
    form = BulkSelectionForm(data)
    if not form.is_valid():
        filter_query = data.get("filter", "")
        return None, _accounts_url(filter_query if isinstance(filter_query, str) else "")
    queryset = get_account_selection_for_admin(request, ids=form.cleaned_data["ids"], filter_query=form.filter_query)
    accounts = list(queryset)
    expected = form.cleaned_data.get("expected")
    changed = request.method == "POST" and form.filter_query is not None and expected != len(accounts)
    return (
        Selection(
            form=form, accounts=accounts, ids={a.pk for a in accounts},
            back_url=_accounts_url(form.cleaned_data.get("filter") or ""), changed=changed,
        ),
        None,
    )


def _bulk_page(
    request, selection, *, title, button, action_url, form=None, warning=False, notes=(), refusal=None, self_refused=True
):
    context = {
        "title": title,
        "button": button,
        "action_url": action_url,
        "selection": selection,
        "form": form,
        "warning_button": warning,
        "notes": [n for n in notes if n],
        "refusal": refusal,
        "includes_self": self_refused and request.user.pk in selection.ids,
    }
    return render(request, "accounts/bulk_confirm.html", context, status=200)


def _count(accounts, **where) -> int:
    return sum(1 for a in accounts if all(getattr(a, k) == v for k, v in where.items()))


def _changed_refusal(selection):
    return (
        f"The accounts matching your search changed since you looked (there are now {len(selection.accounts)}). "
        "Check the list again before confirming."
    )


def _bulk_guard(request):
    """Common start of every bulk view: the selection, or a redirect back to the list."""
    selection, back = _selection(request)
    if selection is None:
        messages.error(request, "Select at least one account first.")
        return None, redirect(back)
    if not selection.accounts:
        messages.error(request, "None of those accounts exist any more.")
        return None, redirect(selection.back_url)
    return selection, None


@admin_required
def accounts_leave(request):
    selection, response = _bulk_guard(request)
    if response:
        return response
    today = request.user.school.local_today()
    form = LeaveForm(request.POST or None, today=today, initial={"leave_date": today})
    refusal = None
    if request.method == "POST" and form.is_valid():
        if selection.changed:
            refusal = _changed_refusal(selection)
        else:
            try:
                count = accounts_bulk_leave(
                    actor=request.user, account_ids=selection.ids, leave_date=form.cleaned_data["leave_date"]
                )
            except RefusedError as exc:
                refusal = str(exc)
            else:
                if count:
                    messages.success(request, f"{count} {'account is' if count == 1 else 'accounts are'} now "
                                              f"{'a leaver' if count == 1 else 'leavers'}. They are in the Leavers folder.")
                else:
                    messages.info(request, "Nothing changed: they were all leavers already.")
                return redirect(selection.back_url)
    leavers = _count(selection.accounts, status=Status.LEAVER)
    return _bulk_page(
        request, selection, form=form, refusal=refusal,
        title=f"Make {len(selection.accounts)} {'account a leaver' if len(selection.accounts) == 1 else 'accounts leavers'}",
        button="Make them leavers", action_url=reverse("accounts_leave"),
        notes=[
            "They will not be able to sign in, they are taken out of their classes (the history is kept) "
            "and they move to the Leavers folder, where they can be reinstated.",
            f"{leavers} of them {'is' if leavers == 1 else 'are'} already a leaver and will not change." if leavers else "",
        ],
    )


@admin_required
def accounts_delete(request):
    selection, response = _bulk_guard(request)
    if response:
        return response
    refusal = None
    if request.method == "POST":
        if selection.changed:
            refusal = _changed_refusal(selection)
        else:
            try:
                count = accounts_bulk_delete(actor=request.user, account_ids=selection.ids)
            except RefusedError as exc:
                refusal = str(exc)
            else:
                messages.success(request, f"{count} {'account' if count == 1 else 'accounts'} deleted.")
                return redirect(selection.back_url)
    return _bulk_page(
        request, selection, refusal=refusal, warning=True,
        title=f"Delete {len(selection.accounts)} {'account' if len(selection.accounts) == 1 else 'accounts'} for good",
        button="Delete them for good", action_url=reverse("accounts_delete"),
        notes=[
            "Their accounts and personal details are removed now and cannot be brought back. "
            "Posts they wrote stay, shown as by “Former pupil” or “Former staff member”.",
            "To keep them for a while instead, make them leavers.",
        ],
    )


@admin_required
def accounts_move(request):
    selection, response = _bulk_guard(request)
    if response:
        return response
    school = request.user.school
    form = MoveForm(request.POST or None, school=school)
    refusal = None
    if request.method == "POST" and form.is_valid():
        if selection.changed:
            refusal = _changed_refusal(selection)
        else:
            group = form.cleaned_data["group"]
            try:
                count = accounts_bulk_move(
                    actor=request.user, account_ids=selection.ids, group=group, on=school.local_today()
                )
            except RefusedError as exc:
                refusal = str(exc)
            else:
                if count:
                    messages.success(request, f"{count} {'pupil' if count == 1 else 'pupils'} moved to {group.name}.")
                else:
                    messages.info(request, f"Nothing changed: no active pupil in the list needed moving to {group.name}.")
                return redirect(selection.back_url)
    not_moving = len(selection.accounts) - _count(selection.accounts, role=Role.PUPIL, status=Status.ACTIVE)
    return _bulk_page(
        request, selection, form=form, refusal=refusal,
        title=f"Move {len(selection.accounts)} {'account' if len(selection.accounts) == 1 else 'accounts'} to another class",
        button="Move them", action_url=reverse("accounts_move"), self_refused=False,
        notes=[
            "Pupils leave their current class today (the history is kept) and join the class you choose. "
            "Their year group follows the class's year group, and so does an unpinned theme.",
            f"{not_moving} of them {'is' if not_moving == 1 else 'are'} staff or leavers and will not move."
            if not_moving else "",
        ],
    )


@admin_required
def accounts_reset_passwords(request):
    selection, response = _bulk_guard(request)
    if response:
        return response
    refusal = None
    if len(selection.accounts) > RESET_MAX:
        refusal = (
            f"You can reset at most {RESET_MAX} passwords at a time (about one class), because making each "
            f"password takes a moment. You chose {len(selection.accounts)}: filter by class and reset a class at a time."
        )
    elif request.method == "POST":
        if selection.changed:
            refusal = _changed_refusal(selection)
        else:
            try:
                credentials = accounts_bulk_reset_passwords(actor=request.user, account_ids=selection.ids)
            except RefusedError as exc:
                refusal = str(exc)
            else:
                if not credentials:
                    messages.info(request, "Nothing changed: leavers' passwords are not reset.")
                    return redirect(selection.back_url)
                today = date_format(request.user.school.local_today(), "j F Y")
                token = credential_sheet_store(
                    admin=request.user, title=f"New passwords, {today}", rows=credentials
                )
                messages.success(request, f"{len(credentials)} {'password' if len(credentials) == 1 else 'passwords'} reset.")
                return redirect("credentials", token=token)
    leavers = _count(selection.accounts, status=Status.LEAVER)
    return _bulk_page(
        request, selection, refusal=refusal,
        title=f"Reset {len(selection.accounts)} {'password' if len(selection.accounts) == 1 else 'passwords'}",
        button="Reset passwords", action_url=reverse("accounts_reset_passwords"),
        notes=[
            "Each account gets a new password in the school's password style and is signed out. "
            "The new passwords are shown to you once, with printable login cards and a spreadsheet.",
            f"{leavers} of them {'is a leaver' if leavers == 1 else 'are leavers'} and will be skipped." if leavers else "",
        ],
    )


# --- One account -----------------------------------------------------------------------------


@admin_required
def account_detail(request, pk):
    account = get_account_for_admin(request, pk)
    context = {
        "account": account,
        "group": (
            selectors.current_class_for(account=account) if account.is_active
            else selectors.last_class_for(account=account)
        ),
        "classes": [] if account.role == Role.PUPIL else list(selectors.groups_for_user(user=account)),
        "entries": selectors.audit_entries_for_account(account=account),
        "ids_query": f"ids={account.pk}",
    }
    return render(request, "accounts/account_detail.html", context)


@admin_required
def account_edit(request, pk):
    account = get_account_for_admin(request, pk)
    school = request.user.school
    if account.role == Role.PUPIL:
        current = selectors.current_class_for(account=account) if account.is_active else None
        initial = {
            "first_name": account.first_name, "last_name": account.last_name, "group": current,
            "year_group": account.year_group, "theme": account.theme, "theme_pinned": account.theme_pinned,
            "admission_number": account.admission_number or "", "upn": account.upn or "",
        }
        form = PupilForm(request.POST or None, school=school, pupil=account, initial=initial)
        if not account.is_active:
            del form.fields["group"]
    else:
        initial = {"first_name": account.first_name, "last_name": account.last_name, "email": account.email,
                   "role": account.role}
        form = StaffForm(request.POST or None, actor=request.user, account=account, initial=initial)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if account.role == Role.PUPIL:
                changed = pupil_update(
                    actor=request.user, pupil=account, first_name=data["first_name"], last_name=data["last_name"],
                    group=data.get("group", current), year_group=data["year_group"], theme=data["theme"],
                    theme_pinned=data["theme_pinned"], admission_number=data["admission_number"], upn=data["upn"],
                    today=school.local_today(),
                )
            else:
                changed = staff_update(
                    actor=request.user, account=account, first_name=data["first_name"],
                    last_name=data["last_name"], email=data["email"], role=data["role"],
                )
        except RefusedError as exc:
            refusal = str(exc)
        else:
            messages.success(request, "Changes saved." if changed else "Nothing was changed.")
            return redirect("account_detail", pk=account.pk)
    return render(request, "accounts/account_edit.html", {"account": account, "form": form, "refusal": refusal})


@admin_required
def account_new(request):
    form = NewAccountForm(request.POST or None, actor=request.user, initial={"role": Role.PUPIL})
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            credential = account_create_by_hand(
                actor=request.user, new=form.new_account(), today=request.user.school.local_today()
            )
        except RefusedError as exc:
            refusal = str(exc)
        else:
            token = credential_sheet_store(admin=request.user, title=f"New account: {credential.name}", rows=[credential])
            messages.success(request, f"Account created for {credential.name}.")
            return redirect("credentials", token=token)
    return render(request, "accounts/account_new.html", {"form": form, "refusal": refusal})

