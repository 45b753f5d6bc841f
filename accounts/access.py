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
