"""Class groups: creating, renaming and deleting classes, and attaching teachers.

Names are unique case-insensitively within a school (a database constraint); the services
check first so that an admin gets a sentence naming the clash rather than an IntegrityError.
MIS-managed classes belong to the sync: they cannot be renamed or deleted here.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from accounts.models import STAFF_ROLES, YEAR_GROUPS, Group, GroupMembership, Status, User
from accounts.services.audit import AuditContext, audit_batch_create, audit_record
from accounts.services.leavers import RefusedError
from accounts.services.memberships import pupils_move

NAME_MAX_LENGTH = Group._meta.get_field("name").max_length


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise RefusedError("Enter a name for the class.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise RefusedError(f"A class name must be {NAME_MAX_LENGTH} characters or fewer.")
    return cleaned


def _refuse_clash(*, ctx: AuditContext, name: str, exclude_pk: int | None = None) -> None:
    clash = Group.objects.filter(school=ctx.school, name__iexact=name).exclude(pk=exclude_pk).first()
    if clash is not None:
        raise RefusedError(f"There is already a class called “{clash.name}”. Choose a different name.")


def _refuse_mis_managed(group: Group, verb: str) -> None:
    if group.mis_managed:
        raise RefusedError(
            f"You cannot {verb} “{group.name}” here: it is managed by the school's MIS, and the nightly sync "
            "owns its name and members. Make the change in the MIS instead."
        )


def current_pupil_count(group: Group) -> int:
    return GroupMembership.objects.filter(group=group, role="pupil", end_date__isnull=True).count()


@transaction.atomic(durable=True)
def group_create(*, ctx: AuditContext, name: str, year_group: str = "") -> Group:
    """A new manual class in the admin's school."""
    name = _clean_name(name)
    if year_group and year_group not in YEAR_GROUPS:
        raise RefusedError("Choose a year group from the list.")
    _refuse_clash(ctx=ctx, name=name)
    try:
        with transaction.atomic():
            group = Group.objects.create(school=ctx.school, name=name, year_group=year_group or "")
    except IntegrityError:  # another admin created it a moment ago
        raise RefusedError(f"There is already a class called “{name}”. Choose a different name.") from None
    audit_record(
        ctx=ctx,
        action="group created",
        target_type="group",
        target_id=group.pk,
        target_label=group.name,
        detail={"year_group": group.year_group},
    )
    return group


@transaction.atomic(durable=True)
def group_rename(*, ctx: AuditContext, group: Group, name: str) -> Group:
    """Rename a manual class. Renaming to the same name is a no-op (nothing is recorded)."""
    group = Group.objects.select_for_update().get(pk=group.pk, school=ctx.school)
    _refuse_mis_managed(group, "rename")
    name = _clean_name(name)
    if name == group.name:
        return group
    _refuse_clash(ctx=ctx, name=name, exclude_pk=group.pk)
    old = group.name
    group.name = name
    try:
        with transaction.atomic():
            group.save(update_fields=["name"])
    except IntegrityError:
        raise RefusedError(f"There is already a class called “{name}”. Choose a different name.") from None
    audit_record(
        ctx=ctx,
        action="group renamed",
        target_type="group",
        target_id=group.pk,
        target_label=group.name,
        detail={"from": old, "to": name},
    )
    return group


@transaction.atomic(durable=True)
def group_delete(*, ctx: AuditContext, group: Group) -> None:
    """Delete an empty manual class.

    Refused while it still has pupils (move them or make them leavers first). Its ended
    memberships and teacher attachments go with it; the audit entry keeps the name.
    """
    group = Group.objects.select_for_update().get(pk=group.pk, school=ctx.school)
    _refuse_mis_managed(group, "delete")
    pupils = current_pupil_count(group)
    if pupils:
        noun = "pupil" if pupils == 1 else "pupils"
        raise RefusedError(
            f"“{group.name}” still has {pupils} {noun}. Move them to another class or make them leavers "
            "before deleting it."
        )
    pk, name, year_group = group.pk, group.name, group.year_group
    teachers = list(
        GroupMembership.objects.filter(group=group, role="teacher", end_date__isnull=True).values_list(
            "user__username", flat=True
        )
    )
    group.delete()
    audit_record(
        ctx=ctx,
        action="group deleted",
        target_type="group",
        target_id=pk,
        target_label=name,
        detail={"year_group": year_group, "teachers": teachers},
    )


def _staff_of_school(*, ctx: AuditContext, teacher: User) -> User:
    if teacher.school_id != ctx.school.pk:
        raise RefusedError("That account belongs to another school.")
    if teacher.role not in STAFF_ROLES or teacher.status != Status.ACTIVE:
        raise RefusedError(f"{teacher.get_full_name() or teacher.username} is not an active staff account.")
    return teacher


@transaction.atomic(durable=True)
def group_add_teacher(*, ctx: AuditContext, group: Group, teacher: User, on: date) -> GroupMembership:
    """Attach a staff account to a class as one of its teachers from `on`."""
    group = Group.objects.select_for_update().get(pk=group.pk, school=ctx.school)
    _staff_of_school(ctx=ctx, teacher=teacher)
    if GroupMembership.objects.filter(group=group, user=teacher, end_date__isnull=True).exists():
        raise RefusedError(f"{teacher.get_full_name() or teacher.username} is already a teacher of “{group.name}”.")
    membership = GroupMembership.objects.create(group=group, user=teacher, role="teacher", start_date=on)
    audit_record(
        ctx=ctx,
        action="teacher added",
        target_type="group",
        target_id=group.pk,
        target_label=group.name,
        detail={"teacher": teacher.username, "on": on.isoformat()},
    )
    return membership


@transaction.atomic(durable=True)
def group_remove_teacher(*, ctx: AuditContext, group: Group, teacher: User, on: date) -> None:
    """End a teacher's attachment to a class on `on`; the membership row stays as history."""
    group = Group.objects.select_for_update().get(pk=group.pk, school=ctx.school)
    ended = GroupMembership.objects.filter(group=group, user=teacher, role="teacher", end_date__isnull=True).update(
        end_date=Greatest(F("start_date"), on)
    )
    if not ended:
        raise RefusedError(f"{teacher.get_full_name() or teacher.username} is not a teacher of “{group.name}”.")
    audit_record(
        ctx=ctx,
        action="teacher removed",
        target_type="group",
        target_id=group.pk,
        target_label=group.name,
        detail={"teacher": teacher.username, "on": on.isoformat()},
    )


def group_move_members(*, ctx: AuditContext, group: Group, account_ids: set[int], to: Group, on: date) -> int:
    """Move some of a class's current pupils into another class, as one bulk batch in the audit log.

    `ctx` carries no batch: this opens one ("bulk") so every pupil's move is grouped together.
    Pupils who are not currently in `group` are ignored.
    """
    if to.pk == group.pk:
        raise RefusedError("Choose a different class to move the pupils into.")
    if to.school_id != ctx.school.pk or group.school_id != ctx.school.pk:
        raise RefusedError("That class belongs to another school.")
    with transaction.atomic(durable=True):
        in_group = set(
            GroupMembership.objects.filter(
                group=group, role="pupil", end_date__isnull=True, user_id__in=account_ids
            ).values_list("user_id", flat=True)
        )
        if not in_group:
            raise RefusedError("Choose at least one pupil to move.")
        batch = audit_batch_create(
            school=ctx.school,
            kind="bulk",
            label=f"Moved {len(in_group)} from {group.name} to {to.name}",
            actor=ctx.actor,
        )
        batch_ctx = AuditContext(school=ctx.school, actor=ctx.actor, source=ctx.source, batch=batch)
        return pupils_move(ctx=batch_ctx, account_ids=in_group, group=to, on=on)
