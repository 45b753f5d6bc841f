"""Communities in both schools, on top of the shared `people` personas.

School A's "Year 3 Oak" community (linked to class_a) has the pupil as a member and the
teacher as leader, one blog post and one forum topic with a reply. School B has its own.
"""

from dataclasses import dataclass

import pytest

from accounts.models import GroupMembership
from communities.models import BlogPost, Community, CommunityMembership, ForumReply, ForumTopic


@dataclass
class Communities:
    oak: Community
    post: BlogPost
    topic: ForumTopic
    reply: ForumReply
    ash_b: Community
    post_b: BlogPost
    topic_b: ForumTopic


@pytest.fixture
def communities(people):
    today = people.school_a.local_today()
    oak = Community.objects.create(school=people.school_a, name="Year 3 Oak", group=people.class_a)
    CommunityMembership.objects.create(community=oak, user=people.pupil, role="member", start_date=today)
    CommunityMembership.objects.create(community=oak, user=people.teacher, role="leader", start_date=today)
    post = BlogPost.objects.create(
        community=oak, author=people.teacher, author_role="staff", title="Welcome", body="Hello"
    )
    topic = ForumTopic.objects.create(
        community=oak, author=people.teacher, author_role="staff", title="Books", body="Which?"
    )
    reply = ForumReply.objects.create(topic=topic, author=people.pupil, author_role="pupil", body="Matilda")
    ash_b = Community.objects.create(school=people.school_b, name="Year 3 Ash", group=people.class_b)
    CommunityMembership.objects.create(community=ash_b, user=people.pupil_b, role="member", start_date=today)
    post_b = BlogPost.objects.create(
        community=ash_b, author=people.admin_b, author_role="staff", title="B post", body="x"
    )
    topic_b = ForumTopic.objects.create(
        community=ash_b, author=people.admin_b, author_role="staff", title="B topic", body="x"
    )
    return Communities(oak=oak, post=post, topic=topic, reply=reply, ash_b=ash_b, post_b=post_b, topic_b=topic_b)


def add_to_class(group, user, role="pupil"):
    return GroupMembership.objects.create(group=group, user=user, role=role, start_date=group.school.local_today())
