"""Reads for communities; views get their querysets and prepared rows from here."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Group, GroupMembership, Role, School, Status, User, next_year_group
from communities.models import BlogPost, Community, CommunityMembership, ForumReply, ForumTopic


def communities_for_homepage(*, user: User) -> list[Community]:
    """Active communities the account is a current member or leader of (for a superadmin too:
    only their own, not every community of the school)."""
    return list(
        Community.objects.filter(
            status=Community.Status.ACTIVE,
            school_id=user.school_id,
            memberships__user=user,
            memberships__end_date__isnull=True,
        ).order_by("name", "pk")
    )


def membership_role(*, user: User, community: Community) -> str | None:
    return (
        CommunityMembership.objects.filter(community=community, user=user, end_date__isnull=True)
        .values_list("role", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Abilities:
    """What the signed-in account may do on a community page."""

    role: str | None  # "leader", "member" or None (the superadmin looking in)
    can_post: bool
    can_manage: bool  # sees the cog


def abilities(*, user: User, community: Community) -> Abilities:
    role = membership_role(user=user, community=community)
    return Abilities(
        role=role, can_post=_may_post(user, community, role), can_manage=_may_manage(user, community, role)
    )


def _may_manage(user, community, role) -> bool:
    return community.is_active and (user.role == Role.SUPERADMIN or role == CommunityMembership.Role.LEADER)


def _may_post(user, community, role) -> bool:
    """Leaders and the superadmin post; other members only where pupils may post. Never once archived."""
    if not community.is_active or user.school_id != community.school_id or user.status != Status.ACTIVE:
        return False
    if user.role == Role.SUPERADMIN or role == CommunityMembership.Role.LEADER:
        return True
    return role == CommunityMembership.Role.MEMBER and community.pupils_can_post


def may_post(*, user: User, community: Community) -> bool:
    return _may_post(user, community, membership_role(user=user, community=community))


def _count(model, field: str):
    return Coalesce(
        Subquery(
            model.objects.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _current_member_count():
    current = CommunityMembership.objects.filter(community=OuterRef("pk"), end_date__isnull=True)
    return Coalesce(
        Subquery(
            current.order_by().values("community").annotate(n=Count("pk")).values("n"), output_field=IntegerField()
        ),
        Value(0),
    )


def communities_for_table(*, school: School):
    """The Communities tab: a school's communities with their class and counts, in one query."""
    return (
        Community.objects.filter(school=school)
        .select_related("group")
        .annotate(
            member_count=_current_member_count(),
            post_count=_count(BlogPost, "community"),
            topic_count=_count(ForumTopic, "community"),
        )
        .order_by("name", "pk")
    )


def community_posts(*, community: Community):
    return BlogPost.objects.filter(community=community).select_related("author").order_by("-created_at", "-pk")


def community_topics(*, community: Community):
    return (
        ForumTopic.objects.filter(community=community)
        .select_related("author")
        .annotate(reply_count=Count("replies"))
        .order_by("-created_at", "-pk")
    )


def topic_replies(*, topic: ForumTopic):
    return ForumReply.objects.filter(topic=topic).select_related("author").order_by("created_at", "pk")


def current_members(*, community: Community) -> list[CommunityMembership]:
    """Leaders first ("leader" sorts before "member"), then members, by surname."""
    return list(
        CommunityMembership.objects.filter(community=community, end_date__isnull=True)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "pk")
    )


def membership_history(*, community: Community) -> list[CommunityMembership]:
    """Everyone who was ever in the community (for an archive), newest first."""
    return list(
        CommunityMembership.objects.filter(community=community)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "-start_date")
    )


def people_to_add(*, community: Community, pupils: bool):
    """Active pupils (or staff) of the school who are not current members, by surname."""
    current = CommunityMembership.objects.filter(community=community, end_date__isnull=True).values("user_id")
    people = User.objects.filter(school_id=community.school_id, status=Status.ACTIVE).exclude(pk__in=current)
    people = people.filter(role=Role.PUPIL) if pupils else people.exclude(role__in=[Role.PUPIL, Role.OPERATOR])
    return people.order_by("last_name", "first_name", "pk")


def school_groups(*, school: School):
    return Group.objects.filter(school=school).order_by("name")


def groups_for_classes_form(*, school: School) -> list[Group]:
    """Classes with their pupil count and whether an active community already covers them."""
    return list(
        Group.objects.filter(school=school)
        .annotate(
            pupil_count=Count(
                "memberships",
                filter=Q(memberships__end_date__isnull=True, memberships__role=GroupMembership.Role.PUPIL),
            ),
            active_community_count=Subquery(
                Community.objects.filter(group=OuterRef("pk"), status=Community.Status.ACTIVE)
                .order_by()
                .values("group")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
        )
        .order_by("name")
    )


def suggested_pass_up_group(*, community: Community, groups: list[Group]) -> Group | None:
    """The class a community would naturally pass up to.

    A class in the next year group sharing the class's own name ("Year 3 Oak" → "Year 4 Oak"),
    else the first class in the next year group; None when there is no linked class or it is a
    leavers' class.
    """
    group = community.group
    if group is None or not group.year_group:
        return None
    target = next_year_group(group.year_group)
    candidates = [g for g in groups if g.year_group == target]
    if not candidates:
        return None
    suffix = group.name.split()[-1].lower() if group.name.split() else ""
    for candidate in candidates:
        if candidate.name.split() and candidate.name.split()[-1].lower() == suffix:
            return candidate
    return candidates[0]


def handover_communities(*, school: School):
    """Active communities with their current member count and entry counts, in one query."""
    return list(
        Community.objects.filter(school=school, status=Community.Status.ACTIVE)
        .select_related("group")
        .annotate(
            member_count=_current_member_count(),
            post_count=_count(BlogPost, "community"),
            topic_count=_count(ForumTopic, "community"),
        )
        .order_by("name", "pk")
    )


def class_people(*, groups: list[Group]) -> dict[int, dict[str, list[User]]]:
    """Each class's current active pupils and teachers, for the handover preview."""
    result = {g.pk: {"pupils": [], "teachers": []} for g in groups}
    rows = (
        GroupMembership.objects.filter(group__in=groups, end_date__isnull=True, user__status=Status.ACTIVE)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    for m in rows:
        key = "pupils" if m.role == GroupMembership.Role.PUPIL else "teachers"
        result[m.group_id][key].append(m.user)
    return result
