"""Writes for communities: creating, renaming, membership, entries, archive, rollover, handover.

Each public service takes keyword-only arguments, does one atomic change and records its own
audit entries (target_type "community"). Changes the rules do not allow raise
`RefusedError`, whose message is shown to the user as it is.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import Group, GroupMembership, Role, School, Status, User
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create
from accounts.services.leavers import RefusedError
from communities.models import (
    BlogPost,
    Community,
    CommunityMembership,
    ForumReply,
    ForumTopic,
    author_role_for,
)
from communities.selectors import may_post

__all__ = ["RefusedError"]

LEADER = CommunityMembership.Role.LEADER
MEMBER = CommunityMembership.Role.MEMBER


def _ctx(*, school: School, actor: User | None, source: str, batch=None) -> AuditContext:
    return AuditContext(school=school, actor=actor, source=source, batch=batch)


def _add_community(audit: AuditBuffer, community: Community, action: str, detail=None):
    audit.add(
        action=action, target_type="community", target_id=community.pk, target_label=community.name, detail=detail
    )


def _refuse_archived(community: Community):
    if community.is_archived:
        raise RefusedError(f"{community.name} is archived and cannot be changed. Restore it first.")


def _person(user: User) -> str:
    return f"{user.get_full_name()} ({user.username})".strip()


# --- Creating and renaming ----------------------------------------------------------------


def _create(*, audit: AuditBuffer, school: School, name: str, group: Group | None, pupils_can_post: bool) -> Community:
    community = Community.objects.create(school=school, name=name.strip(), group=group, pupils_can_post=pupils_can_post)
    _add_community(audit, community, "created", {"class": group.name if group else None})
    return community


def _add_class_members(*, audit: AuditBuffer, community: Community, group: Group, today: date) -> tuple[int, int]:
    """The class's active pupils as members and its teachers as leaders. Returns (members, leaders) added."""
    rows = list(
        GroupMembership.objects.filter(group=group, end_date__isnull=True, user__status=Status.ACTIVE)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    pupils = [m.user for m in rows if m.role == GroupMembership.Role.PUPIL and m.user.role == Role.PUPIL]
    teachers = [m.user for m in rows if m.role == GroupMembership.Role.TEACHER and m.user.role != Role.PUPIL]
    added_members = _members_add(audit=audit, community=community, users=pupils, role=MEMBER, today=today)
    added_leaders = _members_add(audit=audit, community=community, users=teachers, role=LEADER, today=today)
    return added_members, added_leaders


@transaction.atomic(durable=True)
def community_create(
    *,
    school: School,
    name: str,
    actor: User | None,
    group: Group | None = None,
    pupils_can_post: bool = False,
    add_class: bool = False,
    source: str = "Communities tab",
) -> Community:
    if group is not None and group.school_id != school.pk:
        raise RefusedError("That class belongs to another school.")
    audit = AuditBuffer(_ctx(school=school, actor=actor, source=source))
    community = _create(audit=audit, school=school, name=name, group=group, pupils_can_post=pupils_can_post)
    if add_class and group is not None:
        _add_class_members(audit=audit, community=community, group=group, today=school.local_today())
    audit.flush()
    return community


@transaction.atomic(durable=True)
def community_rename(*, community: Community, name: str, actor: User, source: str = "Community settings") -> Community:
    _refuse_archived(community)
    old, new = community.name, name.strip()
    if old == new:
        return community
    community.name = new
    community.save(update_fields=["name"])
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    _add_community(audit, community, "renamed", {"from": old, "to": new})
    audit.flush()
    return community


@transaction.atomic(durable=True)
def community_set_pupils_can_post(
    *, community: Community, allowed: bool, actor: User, source: str = "Community settings"
) -> Community:
    _refuse_archived(community)
    if community.pupils_can_post == allowed:
        return community
    community.pupils_can_post = allowed
    community.save(update_fields=["pupils_can_post"])
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    _add_community(audit, community, "posting_changed", {"pupils_can_post": allowed})
    audit.flush()
    return community


@dataclass(frozen=True)
class ClassesOutcome:
    created: list[Community]
    skipped: list[Group]  # classes that already had an active linked community


@transaction.atomic(durable=True)
def communities_create_for_classes(
    *, school: School, groups: list[Group], actor: User, source: str = "Communities tab"
) -> ClassesOutcome:
    """One community per class, named after it, its pupils as members and its teachers as leaders.

    A class that already has an active linked community is skipped (and reported), so running
    it twice creates nothing new.
    """
    if any(g.school_id != school.pk for g in groups):
        raise RefusedError("That class belongs to another school.")
    covered = set(
        Community.objects.filter(school=school, status=Community.Status.ACTIVE, group__in=groups).values_list(
            "group_id", flat=True
        )
    )
    batch = audit_batch_create(school=school, kind="bulk", label="Communities created for classes", actor=actor)
    audit = AuditBuffer(_ctx(school=school, actor=actor, source=source, batch=batch))
    today = school.local_today()
    created, skipped = [], []
    for group in sorted(groups, key=lambda g: g.name.lower()):
        if group.pk in covered:
            skipped.append(group)
            continue
        community = _create(audit=audit, school=school, name=group.name, group=group, pupils_can_post=False)
        _add_class_members(audit=audit, community=community, group=group, today=today)
        created.append(community)
    audit.flush()
    return ClassesOutcome(created=created, skipped=skipped)


# --- Membership ---------------------------------------------------------------------------


def _members_add(*, audit: AuditBuffer, community: Community, users: list[User], role: str, today: date) -> int:
    """Start memberships; someone already in the community keeps theirs, but a member can become a leader."""
    current = dict(
        CommunityMembership.objects.filter(community=community, end_date__isnull=True, user__in=users).values_list(
            "user_id", "role"
        )
    )
    new = [u for u in users if u.pk not in current]
    promote = [u for u in users if role == LEADER and current.get(u.pk) == MEMBER]
    CommunityMembership.objects.bulk_create(
        [CommunityMembership(community=community, user=u, role=role, start_date=today) for u in new]
    )
    if promote:
        CommunityMembership.objects.filter(community=community, end_date__isnull=True, user__in=promote).update(
            role=LEADER
        )
    for user in new:
        _add_community(
            audit, community, "member_added", {"account": _person(user), "account_id": user.pk, "role": role}
        )
    for user in promote:
        _add_community(audit, community, "leader_made", {"account": _person(user), "account_id": user.pk})
    return len(new) + len(promote)


def _check_people(*, community: Community, users: list[User], role: str):
    if any(u.school_id != community.school_id or u.status != Status.ACTIVE for u in users):
        raise RefusedError("Only active accounts of this school can join its communities.")
    if role == LEADER and any(u.role == Role.PUPIL for u in users):
        raise RefusedError("Only staff can lead a community.")


@transaction.atomic(durable=True)
def membership_add(
    *, community: Community, users: list[User], role: str, actor: User, source: str = "Community settings"
) -> int:
    """Add accounts as members or leaders. Returns how many joined (or became leaders)."""
    _refuse_archived(community)
    _check_people(community=community, users=users, role=role)
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    count = _members_add(audit=audit, community=community, users=users, role=role, today=community.school.local_today())
    audit.flush()
    return count


def _end_memberships(*, audit: AuditBuffer, community: Community, user_ids: set[int] | None, today: date) -> int:
    rows = CommunityMembership.objects.filter(community=community, end_date__isnull=True).select_related("user")
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    rows = list(rows)
    if not rows:
        return 0
    CommunityMembership.objects.filter(pk__in=[m.pk for m in rows]).update(end_date=Greatest(F("start_date"), today))
    for m in rows:
        _add_community(
            audit, community, "member_removed", {"account": _person(m.user), "account_id": m.user_id, "role": m.role}
        )
    return len(rows)


@transaction.atomic(durable=True)
def membership_remove(
    *, community: Community, users: list[User], actor: User, source: str = "Community settings"
) -> int:
    """End these accounts' memberships (the dated rows stay as history)."""
    _refuse_archived(community)
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    count = _end_memberships(
        audit=audit, community=community, user_ids={u.pk for u in users}, today=community.school.local_today()
    )
    audit.flush()
    return count


@transaction.atomic(durable=True)
def membership_set_leader(
    *, community: Community, user: User, leader: bool, actor: User, source: str = "Community settings"
) -> None:
    """Make a current member a leader, or a leader a plain member."""
    _refuse_archived(community)
    if leader:
        _check_people(community=community, users=[user], role=LEADER)
    updated = CommunityMembership.objects.filter(community=community, user=user, end_date__isnull=True).update(
        role=LEADER if leader else MEMBER
    )
    if not updated:
        raise RefusedError(f"{user.get_full_name()} is not a member of {community.name}.")
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    _add_community(
        audit,
        community,
        "leader_made" if leader else "leader_unmade",
        {"account": _person(user), "account_id": user.pk},
    )
    audit.flush()


@transaction.atomic(durable=True)
def class_add(
    *, community: Community, group: Group, actor: User, source: str = "Community settings"
) -> tuple[int, int]:
    """Add a whole class: its pupils as members and its teachers as leaders. Returns (members, leaders) added."""
    _refuse_archived(community)
    if group.school_id != community.school_id:
        raise RefusedError("That class belongs to another school.")
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    counts = _add_class_members(audit=audit, community=community, group=group, today=community.school.local_today())
    audit.flush()
    return counts


# --- Entries ------------------------------------------------------------------------------


def _refuse_posting(*, community: Community, author: User):
    if community.is_archived:
        raise RefusedError(f"{community.name} is archived: it is read-only.")
    if not may_post(user=author, community=community):
        raise RefusedError(f"Only the leaders can post in {community.name}.")


@transaction.atomic(durable=True)
def blog_post_create(*, community: Community, author: User, title: str, body: str) -> BlogPost:
    _refuse_posting(community=community, author=author)
    post = BlogPost.objects.create(
        community=community, author=author, author_role=author_role_for(author), title=title.strip(), body=body.strip()
    )
    audit = AuditBuffer(_ctx(school=community.school, actor=author, source="Community page"))
    _add_community(audit, community, "blog_post_created", {"post_id": post.pk, "title": post.title})
    audit.flush()
    return post


@transaction.atomic(durable=True)
def forum_topic_create(*, community: Community, author: User, title: str, body: str) -> ForumTopic:
    _refuse_posting(community=community, author=author)
    topic = ForumTopic.objects.create(
        community=community, author=author, author_role=author_role_for(author), title=title.strip(), body=body.strip()
    )
    audit = AuditBuffer(_ctx(school=community.school, actor=author, source="Community page"))
    _add_community(audit, community, "forum_topic_created", {"topic_id": topic.pk, "title": topic.title})
    audit.flush()
    return topic


@transaction.atomic(durable=True)
def forum_reply_create(*, topic: ForumTopic, author: User, body: str) -> ForumReply:
    community = topic.community
    _refuse_posting(community=community, author=author)
    reply = ForumReply.objects.create(
        topic=topic, author=author, author_role=author_role_for(author), body=body.strip()
    )
    audit = AuditBuffer(_ctx(school=community.school, actor=author, source="Community page"))
    _add_community(audit, community, "forum_reply_created", {"topic_id": topic.pk, "reply_id": reply.pk})
    audit.flush()
    return reply


@transaction.atomic(durable=True)
def entries_delete(
    *,
    community: Community,
    posts: list[BlogPost],
    topics: list[ForumTopic],
    actor: User,
    source: str = "Community settings",
) -> int:
    """Delete several blog posts and forum topics (with their replies) together."""
    _refuse_archived(community)
    if any(p.community_id != community.pk for p in posts) or any(t.community_id != community.pk for t in topics):
        raise RefusedError("Those entries belong to another community.")
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    for post in posts:
        _add_community(audit, community, "blog_post_deleted", {"post_id": post.pk, "title": post.title})
    for topic in topics:
        _add_community(audit, community, "forum_topic_deleted", {"topic_id": topic.pk, "title": topic.title})
    BlogPost.objects.filter(community=community, pk__in=[p.pk for p in posts]).delete()
    ForumTopic.objects.filter(community=community, pk__in=[t.pk for t in topics]).delete()
    audit.flush()
    return len(posts) + len(topics)


# --- Archive, rollover, restore, delete ------------------------------------------------------


def _copy(*, audit: AuditBuffer, community: Community) -> Community:
    """A new active community with the same name, class, setting and entries, and no members."""
    copy = Community.objects.create(
        school=community.school, name=community.name, group=community.group, pupils_can_post=community.pupils_can_post
    )
    BlogPost.objects.bulk_create(
        [
            BlogPost(
                community=copy,
                author_id=p.author_id,
                author_role=p.author_role,
                created_at=p.created_at,
                title=p.title,
                body=p.body,
            )
            for p in BlogPost.objects.filter(community=community).order_by("pk")
        ]
    )
    topics = list(ForumTopic.objects.filter(community=community).order_by("pk"))
    new_topics = ForumTopic.objects.bulk_create(
        [
            ForumTopic(
                community=copy,
                author_id=t.author_id,
                author_role=t.author_role,
                created_at=t.created_at,
                title=t.title,
                body=t.body,
            )
            for t in topics
        ]
    )
    topic_map = {old.pk: new.pk for old, new in zip(topics, new_topics)}
    ForumReply.objects.bulk_create(
        [
            ForumReply(
                topic_id=topic_map[r.topic_id],
                author_id=r.author_id,
                author_role=r.author_role,
                created_at=r.created_at,
                body=r.body,
            )
            for r in ForumReply.objects.filter(topic__community=community).order_by("pk")
        ]
    )
    _add_community(
        audit, copy, "created", {"copy_of": community.pk, "class": community.group.name if community.group else None}
    )
    _add_community(audit, community, "rolled_over", {"copy_id": copy.pk})
    return copy


def _archive(
    *, audit: AuditBuffer, communities: list[Community], remove_members: bool, rollover: bool, today: date
) -> list[Community]:
    already = [c.name for c in communities if c.is_archived]
    if already:
        raise RefusedError(f"Already archived: {', '.join(sorted(already))}.")
    now = timezone.now()
    copies = []
    for community in communities:
        community.status = Community.Status.ARCHIVED
        community.archived_at = now
        community.save(update_fields=["status", "archived_at"])
        _add_community(audit, community, "archived", {"remove_members": remove_members, "rollover": rollover})
        if remove_members:
            _end_memberships(audit=audit, community=community, user_ids=None, today=today)
        if rollover:
            copies.append(_copy(audit=audit, community=community))
    return copies


@transaction.atomic(durable=True)
def community_archive(
    *, communities: list[Community], remove_members: bool, rollover: bool, actor: User, source: str = "Communities tab"
) -> list[Community]:
    """Archive communities: read-only and gone from homepages.

    remove_members ends every membership (the dated rows stay, so the archive keeps who was
    in it). rollover also creates a new active copy of each: same name and class, the same
    blog posts and forum topics with replies, no members. Returns the copies.
    """
    if not communities:
        return []
    school = actor.school
    if any(c.school_id != school.pk for c in communities):
        raise RefusedError("Those communities belong to another school.")
    # Work on the rows as they are under the lock, so a community archived by someone else a
    # moment ago is refused rather than archived (and copied) twice.
    locked = Community.objects.select_for_update(of=("self",)).select_related("group", "school")
    locked = {c.pk: c for c in locked.filter(pk__in=[c.pk for c in communities], school=school)}
    communities = [locked[c.pk] for c in communities]
    count = len(communities)
    batch = audit_batch_create(
        school=school,
        kind="bulk",
        label=f"{count} communit{'y' if count == 1 else 'ies'} archived{' with rollover' if rollover else ''}",
        actor=actor,
    )
    audit = AuditBuffer(_ctx(school=school, actor=actor, source=source, batch=batch))
    copies = _archive(
        audit=audit,
        communities=communities,
        remove_members=remove_members,
        rollover=rollover,
        today=school.local_today(),
    )
    audit.flush()
    return copies


@transaction.atomic(durable=True)
def community_restore(*, community: Community, actor: User, source: str = "Communities tab") -> Community:
    """Make an archived community active again (memberships that were ended stay ended)."""
    if community.is_active:
        raise RefusedError(f"{community.name} is already active.")
    community.status = Community.Status.ACTIVE
    community.archived_at = None
    community.save(update_fields=["status", "archived_at"])
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    _add_community(audit, community, "restored")
    audit.flush()
    return community


@transaction.atomic(durable=True)
def community_delete(*, community: Community, actor: User, source: str = "Communities tab") -> None:
    """Delete an archived community for good, with its entries and membership history."""
    if community.is_active:
        raise RefusedError(f"Archive {community.name} before deleting it.")
    audit = AuditBuffer(_ctx(school=community.school, actor=actor, source=source))
    _add_community(
        audit,
        community,
        "deleted",
        {"posts": community.posts.count(), "topics": community.topics.count()},
    )
    community.delete()
    audit.flush()


# --- Year-end handover ----------------------------------------------------------------------


class HandoverAction:
    KEEP = "keep"
    ARCHIVE = "archive"
    COPY = "copy"
    PASS_UP = "pass_up"

    choices = [
        (KEEP, "Leave as it is"),
        (ARCHIVE, "Archive"),
        (COPY, "Archive and copy"),
        (PASS_UP, "Pass up to a class"),
    ]


@dataclass(frozen=True)
class HandoverChoice:
    community: Community
    action: str
    group: Group | None = None  # the class X of "pass up to class X"
    name: str = ""  # the new name when passing up (blank → the class's name)

    @property
    def new_name(self) -> str:
        return self.name.strip() or (self.group.name if self.group else self.community.name)


@dataclass(frozen=True)
class HandoverOutcome:
    archived: int
    copied: int
    passed_up: int


@transaction.atomic(durable=True)
def handover_apply(*, school: School, choices: list[HandoverChoice], actor: User) -> HandoverOutcome:
    """Run the whole year-end handover at once, in one transaction, as one audit batch.

    Archive ends the memberships (start afresh); Archive and copy also makes a memberless
    copy with the same entries, linked to the same class; Pass up keeps the community and its
    entries but replaces its membership with class X's pupils (members) and teachers
    (leaders), links it to class X and renames it.
    """
    for choice in choices:
        if choice.community.school_id != school.pk or (
            choice.group is not None and choice.group.school_id != school.pk
        ):
            raise RefusedError("Those communities belong to another school.")
        if choice.action == HandoverAction.PASS_UP and choice.group is None:
            raise RefusedError(f"Choose the class to pass {choice.community.name} up to.")
    # Re-read the status under a lock: a community archived since the preview is refused.
    ids = [c.community.pk for c in choices if c.action != HandoverAction.KEEP]
    if not ids:
        return HandoverOutcome(archived=0, copied=0, passed_up=0)
    fresh = {c.pk: c for c in Community.objects.select_for_update().filter(pk__in=ids, school=school)}
    batch = audit_batch_create(school=school, kind="handover", label="Year-end handover of communities", actor=actor)
    audit = AuditBuffer(_ctx(school=school, actor=actor, source="Year-end handover", batch=batch))
    today = school.local_today()
    archived = copied = passed = 0
    for choice in choices:
        if choice.action == HandoverAction.KEEP:
            continue
        community = fresh.get(choice.community.pk)
        if community is None:
            raise RefusedError(f"{choice.community.name} has been deleted since the preview. Start the handover again.")
        if choice.action in (HandoverAction.ARCHIVE, HandoverAction.COPY):
            copies = _archive(
                audit=audit,
                communities=[community],
                remove_members=True,
                rollover=choice.action == HandoverAction.COPY,
                today=today,
            )
            archived += 1
            copied += len(copies)
        elif choice.action == HandoverAction.PASS_UP:
            _refuse_archived(community)
            old_name = community.name
            # People who are in class X already keep their membership row (history stays tidy
            # when the class itself was renamed up a year); everyone else's ends.
            staying = set(
                GroupMembership.objects.filter(group=choice.group, end_date__isnull=True).values_list(
                    "user_id", flat=True
                )
            )
            leaving = set(
                CommunityMembership.objects.filter(community=community, end_date__isnull=True)
                .exclude(user_id__in=staying)
                .values_list("user_id", flat=True)
            )
            _end_memberships(audit=audit, community=community, user_ids=leaving, today=today)
            community.name = choice.new_name
            community.group = choice.group
            community.save(update_fields=["name", "group"])
            _add_community(
                audit, community, "passed_up", {"from": old_name, "to": community.name, "class": choice.group.name}
            )
            _add_class_members(audit=audit, community=community, group=choice.group, today=today)
            passed += 1
    audit.flush()
    return HandoverOutcome(archived=archived, copied=copied, passed_up=passed)
