"""The only way views reach a community or its entries.

Another school's community is a 404 for everyone. Inside the school:
- a current member or leader (or the superadmin) may view it, archived or not;
- a current leader (or the superadmin) may open its settings, while it is active;
- the superadmin alone archives, restores and deletes.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Role
from communities.models import BlogPost, Community, CommunityMembership, ForumTopic


def _is_superadmin(user) -> bool:
    return user.role == Role.SUPERADMIN


def _community_in_school(request, pk) -> Community:
    return get_object_or_404(
        Community.objects.select_related("group", "school"), pk=pk, school_id=request.user.school_id
    )


def current_role(*, user, community: Community) -> str | None:
    """ "leader", "member" or None for someone with no current membership."""
    return (
        CommunityMembership.objects.filter(community=community, user=user, end_date__isnull=True)
        .values_list("role", flat=True)
        .first()
    )


def get_community_for_member(request, pk) -> Community:
    community = _community_in_school(request, pk)
    if _is_superadmin(request.user):
        return community
    if current_role(user=request.user, community=community) is None:
        raise Http404("Not found")
    return community


def get_community_for_leader(request, pk) -> Community:
    """Settings (the cog): leaders of this community and the superadmin; archived ones are read-only."""
    community = _community_in_school(request, pk)
    if community.is_archived:
        raise Http404("Not found")
    if _is_superadmin(request.user):
        return community
    if current_role(user=request.user, community=community) != CommunityMembership.Role.LEADER:
        raise Http404("Not found")
    return community


def get_community_for_superadmin(request, pk) -> Community:
    if not _is_superadmin(request.user):
        raise Http404("Not found")
    return _community_in_school(request, pk)


def get_communities_for_superadmin(request, ids) -> list[Community]:
    """Communities of the superadmin's own school among `ids`; any id from elsewhere is a 404."""
    if not _is_superadmin(request.user):
        raise Http404("Not found")
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise Http404("Not found") from None
    communities = list(
        Community.objects.select_related("group").filter(pk__in=wanted, school_id=request.user.school_id)
    )
    if len(communities) != len(wanted):
        raise Http404("Not found")
    return communities


def get_topic_for_member(request, community: Community, pk) -> ForumTopic:
    return get_object_or_404(ForumTopic, pk=pk, community=community)


def get_entries_for_leader(request, community: Community, *, post_ids, topic_ids):
    """Blog posts and forum topics of this community among the ids; any other id is a 404."""
    try:
        post_ids = {int(i) for i in post_ids}
        topic_ids = {int(i) for i in topic_ids}
    except (TypeError, ValueError):
        raise Http404("Not found") from None
    posts = list(BlogPost.objects.filter(community=community, pk__in=post_ids))
    topics = list(ForumTopic.objects.filter(community=community, pk__in=topic_ids))
    if len(posts) != len(post_ids) or len(topics) != len(topic_ids):
        raise Http404("Not found")
    return posts, topics
