"""The rollover wizard for schools without MIS integration (DESIGN §3, "Without MIS integration").

Three steps, in order, each applied in one transaction and recorded as one AuditBatch of kind
"wizard"; the school's RolloverRun for the academic year remembers which are completed, and a
completed step is never applied twice:

1. leavers: the chosen pupils of the leavers' year become leavers (via "wizard");
2. classes: emptied classes are deleted, the rest renamed oldest year first and moved up a year;
3. year groups: every active pupil goes up one year group, unpinned themes follow.

The planning helpers here are pure (no database) so the preview and the apply use the same rules.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    AuditBatch,
    Group,
    LeftVia,
    Role,
    RolloverRun,
    School,
    Status,
    User,
    academic_year_for,
    next_year_group,
    theme_for_year_group,
    year_group_rank,
)
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create
from accounts.services.leavers import RefusedError, accounts_mark_left

STEPS = [RolloverRun.Step.LEAVERS, RolloverRun.Step.CLASSES, RolloverRun.Step.YEAR_GROUPS]
SOURCE = "rollover wizard"

# --- Suggested class names (pure) ----------------------------------------------------------

# The year a class name mentions: "Year 5 Oak", "Yr5", "Y5", "5 Oak" (a leading digit, as MIS
# registration groups are often named), "Reception Robins", "Rec", "Nursery 2 Bees", "Nursery Bees".
_YEAR_TOKEN = re.compile(
    r"\b(?P<year>(?:year|yr|y)\s*)(?P<digit>[1-6])\b"
    r"|^(?P<lead>[1-6])(?=\s)"
    r"|\b(?P<reception>reception|rec)\b"
    r"|\b(?P<nursery>nursery)(?P<ndigit>\s*[12])?\b",
    re.IGNORECASE,
)


def suggest_class_name(name: str, new_year_group: str | None) -> str:
    """The name a class should have after moving up into `new_year_group`.

    Replaces the first year mentioned in the name, keeping the school's own style:
    "Year 5 Oak" → "Year 6 Oak", "Y3 Hazel" → "Y4 Hazel", "3 Oak" → "4 Oak",
    "Reception Robins" → "Year 1 Robins", "Nursery Bumblebees" (N2) → "Reception Bumblebees",
    "Nursery 1 Ladybirds" → "Nursery 2 Ladybirds", "Nursery Ladybirds" (N1 → N2) unchanged.
    A name that mentions no year ("Oak Class"), or a class that does not move up, keeps its name.
    """
    if not new_year_group:
        return name
    match = _YEAR_TOKEN.search(name)
    if match is None:
        return name
    if new_year_group.startswith("Y"):
        number = new_year_group[1]
        if match.group("digit"):
            replacement = f"{match.group('year')}{number}"
        elif match.group("lead"):
            replacement = number
        else:  # Reception (or a nursery class skipping a year) becoming Year 1 …
            replacement = f"Year {number}"
    elif new_year_group == "R":
        replacement = "Reception"
    else:  # N2: still nursery; keep a digit only if the school used one
        replacement = f"Nursery {new_year_group[1]}" if match.group("ndigit") else "Nursery"
        if not match.group("nursery"):
            return name
    return f"{name[: match.start()]}{replacement}{name[match.end() :]}"


@dataclass(frozen=True)
class ClassChange:
    """What the classes step does to one class."""

    group_id: int
    name: str
    year_group: str
    pupils: int
    mis_managed: bool
    new_name: str
    new_year_group: str
    delete: bool

    @property
    def renamed(self) -> bool:
        return not self.delete and self.new_name != self.name

    @property
    def moves_up(self) -> bool:
        return not self.delete and self.new_year_group != self.year_group


def order_oldest_first(changes):
    """Oldest year group first (Y6 … N1), classes without a year group last, then by name."""
    return sorted(changes, key=lambda c: (-year_group_rank(c.year_group) if c.year_group else 1, c.name.lower()))


def class_plan_problems(changes: list[ClassChange]) -> list[str]:
    """Why a classes plan cannot be applied, in plain words; empty when it can.

    Checks the final set of names for clashes, and that doing the renames one by one, oldest
    year first, never needs a name another class still holds at that moment.
    """
    problems = []
    for change in changes:
        if change.delete and change.pupils:
            noun = "pupil" if change.pupils == 1 else "pupils"
            problems.append(f"“{change.name}” still has {change.pupils} {noun}, so it cannot be deleted.")
        if change.delete and change.mis_managed:
            problems.append(f"“{change.name}” is managed by the MIS, so it cannot be deleted here.")
        if not change.delete and not change.new_name.strip():
            problems.append(f"Enter a new name for “{change.name}”.")
    kept = [c for c in changes if not c.delete]
    final: dict[str, ClassChange] = {}
    for change in kept:
        key = change.new_name.lower()
        if key in final:
            problems.append(
                f"“{final[key].name}” and “{change.name}” would both be called “{change.new_name}”. "
                "Give one of them a different name."
            )
        else:
            final[key] = change
    if problems:
        return problems
    held = {c.name.lower(): c for c in kept}
    for change in order_oldest_first(kept):
        if not change.renamed:
            continue
        holder = held.get(change.new_name.lower())
        if holder is not None and holder.group_id != change.group_id:
            problems.append(
                f"“{change.name}” cannot become “{change.new_name}” while “{holder.name}” still has that name "
                "(classes are renamed one at a time, oldest year first). Choose another name for one of them."
            )
            continue
        del held[change.name.lower()]
        held[change.new_name.lower()] = change
    return problems


def next_year_group_in(*, school: School, year_group: str) -> str | None:
    """The next year group within this school's phase; None after its last year (Y2 in an infant school)."""
    new = next_year_group(year_group) if year_group else None
    if new is None or new not in school.year_groups:
        return None
    return new


# --- The wizard's state --------------------------------------------------------------------


def rollover_run_current(*, school: School) -> RolloverRun:
    """This academic year's run for the school; an unsaved one when the wizard has not started."""
    year = academic_year_for(school.local_today())
    run = RolloverRun.objects.filter(school=school, academic_year=year).first()
    return run or RolloverRun(school=school, academic_year=year)


def _claim_step(*, school: School, step: str) -> RolloverRun:
    """Lock this year's run and check `step` may be applied now (earlier steps done, this one not)."""
    year = academic_year_for(school.local_today())
    RolloverRun.objects.get_or_create(school=school, academic_year=year)
    run = RolloverRun.objects.select_for_update().get(school=school, academic_year=year)
    if run.is_done(step):
        when = timezone.localtime(run.done_at(step), school.tzinfo)
        raise RefusedError(
            f"“{RolloverRun.Step(step).label}” was already completed on {when:%-d %B %Y} at {when:%H:%M}. "
            "It cannot be applied twice in one year."
        )
    index = STEPS.index(step)
    for earlier in STEPS[:index]:
        if not run.is_done(earlier):
            raise RefusedError(f"Complete “{RolloverRun.Step(earlier).label}” first.")
    return run


def _complete_step(*, run: RolloverRun, step: str, batch: AuditBatch) -> None:
    setattr(run, f"{step}_done_at", timezone.now())
    setattr(run, f"{step}_batch", batch)
    run.save(update_fields=[f"{step}_done_at", f"{step}_batch"])


# --- Step 1: leavers -------------------------------------------------------------------------


@transaction.atomic(durable=True)
def rollover_leavers_apply(*, school: School, actor: User, account_ids: set[int], leave_date: date) -> int:
    """Make the chosen pupils of the leavers' year leavers. Returns how many left.

    Only active pupils of `school.leavers_year_group` are eligible; an id outside that set is
    refused rather than silently skipped. An empty choice completes the step with no leavers.
    """
    run = _claim_step(school=school, step=RolloverRun.Step.LEAVERS)
    eligible = set(
        User.objects.filter(
            school=school, role=Role.PUPIL, status=Status.ACTIVE, year_group=school.leavers_year_group
        ).values_list("pk", flat=True)
    )
    stray = set(account_ids) - eligible
    if stray:
        raise RefusedError("Some of the chosen pupils are no longer in the leavers' year. Start this step again.")
    batch = audit_batch_create(
        school=school, kind="wizard", label=f"Rollover {run.academic_year_label}: leavers", actor=actor
    )
    ctx = AuditContext(school=school, actor=actor, source=SOURCE, batch=batch)
    left = accounts_mark_left(
        ctx=ctx, account_ids=set(account_ids), leave_date=leave_date, via=LeftVia.WIZARD, check_protected=False
    )
    _complete_step(run=run, step=RolloverRun.Step.LEAVERS, batch=batch)
    return left


# --- Step 2: classes -------------------------------------------------------------------------


def class_changes_for(*, school: School, names: dict[int, str] | None = None, delete_ids=None) -> list[ClassChange]:
    """The classes step's plan, oldest year first: suggestions, overridden by the admin's edits.

    With no edits every empty manual class is to be deleted and the rest get suggested names.
    MIS-managed classes are listed but never changed.
    """
    from accounts.selectors import groups_with_pupil_counts

    names = names or {}
    changes = []
    for group in groups_with_pupil_counts(school=school):
        new_year_group = next_year_group_in(school=school, year_group=group.year_group)
        if group.mis_managed:
            changes.append(
                ClassChange(
                    group_id=group.pk,
                    name=group.name,
                    year_group=group.year_group,
                    pupils=group.pupil_count,
                    mis_managed=True,
                    new_name=group.name,
                    new_year_group=group.year_group,
                    delete=False,
                )
            )
            continue
        delete = (group.pupil_count == 0) if delete_ids is None else (group.pk in delete_ids)
        suggested = suggest_class_name(group.name, new_year_group)
        new_name = " ".join(names.get(group.pk, suggested).split())
        changes.append(
            ClassChange(
                group_id=group.pk,
                name=group.name,
                year_group=group.year_group,
                pupils=group.pupil_count,
                mis_managed=False,
                new_name=new_name,
                new_year_group=new_year_group or group.year_group,
                delete=delete,
            )
        )
    return order_oldest_first(changes)


@transaction.atomic(durable=True)
def rollover_classes_apply(
    *, school: School, actor: User, names: dict[int, str], delete_ids: set[int]
) -> list[ClassChange]:
    """Delete the chosen empty classes, then rename and move up the rest, oldest year first.

    The plan is rebuilt from the database under lock, so a class that gained pupils since the
    preview is refused rather than deleted. Returns the changes made.
    """
    run = _claim_step(school=school, step=RolloverRun.Step.CLASSES)
    # Lock the school's classes so no one adds pupils to a class between planning and deleting it.
    list(Group.objects.select_for_update().filter(school=school).values_list("pk", flat=True))
    changes = class_changes_for(school=school, names=names, delete_ids=set(delete_ids))
    unknown = set(delete_ids) - {c.group_id for c in changes}
    if unknown:
        raise RefusedError("Some of the chosen classes no longer exist. Start this step again.")
    problems = class_plan_problems(changes)
    if problems:
        raise RefusedError(" ".join(problems))
    batch = audit_batch_create(
        school=school, kind="wizard", label=f"Rollover {run.academic_year_label}: classes", actor=actor
    )
    ctx = AuditContext(school=school, actor=actor, source=SOURCE, batch=batch)
    audit = AuditBuffer(ctx)
    deleted = [c for c in changes if c.delete]
    Group.objects.filter(pk__in=[c.group_id for c in deleted], school=school).delete()
    for change in deleted:
        audit.add(
            action="group deleted",
            target_type="group",
            target_id=change.group_id,
            target_label=change.name,
            detail={"year_group": change.year_group},
        )
    # One UPDATE per class, oldest first, so that no rename ever needs a name still in use.
    for change in order_oldest_first(c for c in changes if c.renamed or c.moves_up):
        Group.objects.filter(pk=change.group_id, school=school).update(
            name=change.new_name, year_group=change.new_year_group
        )
        audit.add(
            action="group renamed" if change.renamed else "group moved up",
            target_type="group",
            target_id=change.group_id,
            target_label=change.new_name,
            detail={
                "from": change.name,
                "to": change.new_name,
                "year_group_from": change.year_group,
                "year_group_to": change.new_year_group,
            },
        )
    audit.flush()
    _complete_step(run=run, step=RolloverRun.Step.CLASSES, batch=batch)
    return changes


# --- Step 3: year groups -----------------------------------------------------------------------


@transaction.atomic(durable=True)
def rollover_year_groups_apply(*, school: School, actor: User) -> int:
    """Every active pupil goes up one year group; unpinned themes follow. Returns how many moved.

    Leavers are not touched, and a pupil still in the leavers' year (kept back in step 1)
    stays there: there is no year after Year 6.
    """
    run = _claim_step(school=school, step=RolloverRun.Step.YEAR_GROUPS)
    pupils = list(
        User.objects.select_for_update()
        .filter(school=school, role=Role.PUPIL, status=Status.ACTIVE)
        .exclude(year_group="")
        .order_by("pk")
    )
    batch = audit_batch_create(
        school=school, kind="wizard", label=f"Rollover {run.academic_year_label}: year groups", actor=actor
    )
    ctx = AuditContext(school=school, actor=actor, source=SOURCE, batch=batch)
    audit = AuditBuffer(ctx)
    moved = []
    for pupil in pupils:
        new = next_year_group_in(school=school, year_group=pupil.year_group)
        if new is None:
            continue
        old_year_group, old_theme = pupil.year_group, pupil.theme
        pupil.year_group = new
        if not pupil.theme_pinned:
            pupil.theme = theme_for_year_group(new)
        moved.append(pupil)
        audit.add_account(
            pupil,
            "year group changed",
            {"from": old_year_group, "to": new, "theme_from": old_theme, "theme_to": pupil.theme},
        )
    User.objects.bulk_update(moved, ["year_group", "theme"], batch_size=500)
    audit.flush()
    _complete_step(run=run, step=RolloverRun.Step.YEAR_GROUPS, batch=batch)
    return len(moved)
