"""Tenant scoping and roles, in one place.

Views reach school-owned objects only through these helpers: another school's object is a
404, never a 403 that would confirm it exists. Role decorators send anonymous users to the
login page and give signed-in users without the role a 404 too.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import ADMIN_ROLES, STAFF_ROLES, Group, Role, School, Status, User


def _require(predicate):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.school_id is None or user.status != Status.ACTIVE or not predicate(user):
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


school_member_required = _require(lambda u: True)
staff_required = _require(lambda u: u.role in STAFF_ROLES)
admin_required = _require(lambda u: u.role in ADMIN_ROLES)
superadmin_required = _require(lambda u: u.role == Role.SUPERADMIN)


def school_for(request) -> School:
    return request.user.school


def get_account_for_admin(request, pk) -> User:
    return get_object_or_404(User.objects.select_related("school"), pk=pk, school_id=request.user.school_id)


def get_accounts_for_admin(request, ids) -> list[User]:
    """Accounts of the admin's own school among `ids`; any id from elsewhere is a 404."""
    ids = {int(i) for i in ids}
    accounts = list(User.objects.filter(pk__in=ids, school_id=request.user.school_id))
    if len(accounts) != len(ids):
        raise Http404("Not found")
    return accounts


def get_group_for_admin(request, pk) -> Group:
    return get_object_or_404(Group, pk=pk, school_id=request.user.school_id)


def get_group_for_member(request, pk) -> Group:
    return get_object_or_404(Group, pk=pk, school_id=request.user.school_id)


def is_admin(user) -> bool:
    return user.is_authenticated and user.school_id is not None and user.role in ADMIN_ROLES


def get_groups_for_admin(request, ids) -> list[Group]:
    """Classes of the admin's own school among `ids`; any id from elsewhere is a 404."""
    ids = {int(i) for i in ids}
    groups = list(Group.objects.filter(pk__in=ids, school_id=request.user.school_id))
    if len(groups) != len(ids):
        raise Http404("Not found")
    return groups

# --- Accounts tab and Leavers folder ---------------------------------------------------------


def get_leaver_for_admin(request, pk) -> User:
    """A leaver of the admin's own school; anyone else (or an active account) is a 404."""
    return get_object_or_404(User, pk=pk, school_id=request.user.school_id, status=Status.LEAVER)


def get_account_selection_for_admin(request, *, ids, filter_query: str | None):
    """The accounts a bulk action applies to, as a queryset of the admin's own school.

    Either explicit ids (any id from another school is a 404), or "all matching" the Accounts
    tab's filter querystring, re-run here against the admin's school only.
    """
    from django.http import QueryDict

    from accounts.filters import AccountFilter
    from accounts.selectors import accounts_for_admin_list

    school = request.user.school
    base = accounts_for_admin_list(school=school)
    if filter_query is not None:
        return AccountFilter(QueryDict(filter_query), queryset=base, school=school).qs
    accounts = get_accounts_for_admin(request, ids)
    return base.filter(pk__in=[a.pk for a in accounts])
