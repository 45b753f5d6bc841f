"""A school's own settings, changed by its admins."""

from django.db import transaction

from accounts.models import School, User
from accounts.services.audit import AuditContext, audit_record

SETTINGS_FIELDS = ("leaver_retention_days", "username_scheme", "password_style")


@transaction.atomic(durable=True)
def school_settings_update(
    *, actor: User, leaver_retention_days: int, username_scheme: str, password_style: str
) -> list[str]:
    """Save the actor's school's leaver retention, username scheme and password style.

    Returns the fields that changed; the change is one audit entry naming old and new values.
    """
    school = School.objects.select_for_update().get(pk=actor.school_id)
    values = {
        "leaver_retention_days": leaver_retention_days,
        "username_scheme": username_scheme,
        "password_style": password_style,
    }
    detail = {}
    for field, new in values.items():
        old = getattr(school, field)
        if old != new:
            detail[field] = [old, new]
            setattr(school, field, new)
    if not detail:
        return []
    school.full_clean()
    school.save(update_fields=list(detail))
    ctx = AuditContext(school=school, actor=actor, source="school settings")
    audit_record(
        ctx=ctx, action="settings_changed", target_type="school", target_id=school.pk, target_label=school.name,
        detail=detail,
    )
    return list(detail)
