from accounts.models import ADMIN_ROLES, Role


def school(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.school_id is None:
        return {"school": None, "is_admin": False, "is_superadmin": False}
    return {
        "school": user.school,
        "is_admin": user.role in ADMIN_ROLES,
        "is_superadmin": user.role == Role.SUPERADMIN,
    }
