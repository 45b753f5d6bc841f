"""Community pages: who sees them, who may post, read-only archives, homepages."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Role
from accounts.services.audit import AuditContext
from accounts.services.leavers import accounts_delete
from communities.models import BlogPost, Community, CommunityMembership, ForumReply, ForumTopic
from communities.selectors import communities_for_homepage
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def post_blog(client, community, title="Sports day", body="It was sunny."):
    return client.post(
        reverse("communities:post_create", args=[community.pk]), {"post-title": title, "post-body": body}
    )


class CommunityPageTests:
    def test_a_member_sees_the_blog_and_forum(self, client, people, communities):
        client.force_login(people.pupil)
        response = client.get(communities.oak.get_absolute_url())
        assert response.status_code == 200
        assert b"Welcome" in response.content and b"Books" in response.content
        assert b"1 reply" in response.content

    def test_a_pupil_does_not_see_the_cog(self, client, people, communities):
        client.force_login(people.pupil)
        response = client.get(communities.oak.get_absolute_url())
        assert reverse("communities:settings", args=[communities.oak.pk]).encode() not in response.content

    def test_a_leader_sees_the_cog(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.get(communities.oak.get_absolute_url())
        assert reverse("communities:settings", args=[communities.oak.pk]).encode() in response.content

    def test_the_superadmin_sees_any_community_of_their_school_with_the_cog(self, client, people, communities):
        client.force_login(people.superadmin)
        response = client.get(communities.oak.get_absolute_url())
        assert response.status_code == 200
        assert reverse("communities:settings", args=[communities.oak.pk]).encode() in response.content

    def test_someone_who_is_not_a_member_gets_a_404(self, client, people, communities):
        client.force_login(people.admin)
        assert client.get(communities.oak.get_absolute_url()).status_code == 404

    def test_a_removed_member_gets_a_404(self, client, people, communities):
        CommunityMembership.objects.filter(user=people.pupil).update(end_date=people.school_a.local_today())
        client.force_login(people.pupil)
        assert client.get(communities.oak.get_absolute_url()).status_code == 404

    def test_a_topic_page_lists_its_replies(self, client, people, communities):
        client.force_login(people.pupil)
        response = client.get(communities.topic.get_absolute_url())
        assert response.status_code == 200
        assert b"Matilda" in response.content

    def test_a_topic_of_another_community_is_a_404_under_this_one(self, client, people, communities):
        other = Community.objects.create(school=people.school_a, name="Choir")
        topic = ForumTopic.objects.create(community=other, author_role="staff", title="Songs", body="x")
        client.force_login(people.teacher)
        assert client.get(reverse("communities:topic", args=[communities.oak.pk, topic.pk])).status_code == 404


class PostingTests:
    def test_a_leader_publishes_a_blog_post_and_it_is_audited(self, client, people, communities):
        client.force_login(people.teacher)
        response = post_blog(client, communities.oak)
        assert response.status_code == 302
        post = BlogPost.objects.get(title="Sports day")
        assert post.author == people.teacher and post.author_role == "staff"
        assert AuditEntry.objects.filter(
            target_type="community", target_id=communities.oak.pk, action="blog_post_created"
        ).exists()

    def test_a_pupil_cannot_post_when_pupils_may_not(self, client, people, communities):
        client.force_login(people.pupil)
        response = post_blog(client, communities.oak)
        assert response.status_code == 302
        assert not BlogPost.objects.filter(title="Sports day").exists()
        page = client.get(communities.oak.get_absolute_url())
        assert b"Only the leaders can post" in page.content
        assert b"Write a blog post" not in page.content

    def test_a_pupil_can_post_when_the_community_allows_it(self, client, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(pupils_can_post=True)
        client.force_login(people.pupil)
        post_blog(client, communities.oak)
        assert BlogPost.objects.get(title="Sports day").author_role == "pupil"

    def test_a_pupil_cannot_start_a_topic_or_reply_when_pupils_may_not(self, client, people, communities):
        client.force_login(people.pupil)
        client.post(
            reverse("communities:topic_create", args=[communities.oak.pk]), {"topic-title": "Hi", "topic-body": "x"}
        )
        client.post(
            reverse("communities:reply_create", args=[communities.oak.pk, communities.topic.pk]), {"body": "Me too"}
        )
        assert not ForumTopic.objects.filter(title="Hi").exists()
        assert not ForumReply.objects.filter(body="Me too").exists()

    def test_a_leader_starts_a_topic_and_a_member_replies_when_allowed(self, client, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(pupils_can_post=True)
        client.force_login(people.teacher)
        response = client.post(
            reverse("communities:topic_create", args=[communities.oak.pk]),
            {"topic-title": "Trips", "topic-body": "Where?"},
        )
        topic = ForumTopic.objects.get(title="Trips")
        assert response.url == topic.get_absolute_url()
        client.force_login(people.pupil)
        client.post(reverse("communities:reply_create", args=[communities.oak.pk, topic.pk]), {"body": "The zoo"})
        assert topic.replies.get().author == people.pupil

    def test_an_archived_community_accepts_no_posts_even_from_its_leader(self, client, people, communities):
        communities.oak.status = "archived"
        communities.oak.archived_at = communities.oak.created_at
        communities.oak.save()
        client.force_login(people.teacher)
        post_blog(client, communities.oak)
        client.post(
            reverse("communities:reply_create", args=[communities.oak.pk, communities.topic.pk]), {"body": "Late"}
        )
        assert not BlogPost.objects.filter(title="Sports day").exists()
        assert not ForumReply.objects.filter(body="Late").exists()
        page = client.get(communities.oak.get_absolute_url())
        assert page.status_code == 200
        assert b"read-only" in page.content

    def test_an_empty_post_shows_the_error_summary(self, client, people, communities):
        client.force_login(people.teacher)
        response = post_blog(client, communities.oak, title="", body="")
        assert response.status_code == 400
        assert b"There is a problem" in response.content
        assert b'href="#id_post-title"' in response.content


class FormerAuthorTests:
    def test_a_deleted_pupils_reply_shows_former_pupil(self, client, people, communities):
        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        accounts_delete(ctx=ctx, account_ids={people.pupil.pk})
        client.force_login(people.teacher)
        response = client.get(communities.topic.get_absolute_url())
        assert b"Former pupil" in response.content
        assert ForumReply.objects.get(pk=communities.reply.pk).author is None

    def test_a_deleted_teachers_post_shows_former_staff_member(self, client, people, communities):
        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        accounts_delete(ctx=ctx, account_ids={people.teacher.pk})
        client.force_login(people.superadmin)
        response = client.get(communities.oak.get_absolute_url())
        assert b"Former staff member" in response.content


class HomepageTests:
    def test_a_pupils_homepage_lists_their_active_communities(self, client, people, communities):
        client.force_login(people.pupil)
        response = client.get(reverse("homepage"))
        assert communities.oak.get_absolute_url().encode() in response.content

    def test_archived_communities_are_not_on_homepages(self, client, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(
            status="archived", archived_at=communities.oak.created_at
        )
        assert communities_for_homepage(user=people.pupil) == []

    def test_a_superadmin_sees_only_communities_they_belong_to(self, people, communities):
        assert communities_for_homepage(user=people.superadmin) == []
        CommunityMembership.objects.create(
            community=communities.oak, user=people.superadmin, role="leader", start_date=people.school_a.local_today()
        )
        assert communities_for_homepage(user=people.superadmin) == [communities.oak]

    def test_early_years_tiles_are_pictures_from_our_static_files(self, client, people, communities):
        people.pupil.year_group = "R"
        people.pupil.save()
        client.force_login(people.pupil)
        response = client.get(reverse("homepage"))
        assert b"theme-early_years" in response.content
        assert b'class="tile-picture" src="/static/img/community-' in response.content

    def test_improver_tiles_show_the_class_initial(self, client, people, communities):
        client.force_login(people.pupil)
        response = client.get(reverse("homepage"))
        assert b'<span class="tile-icon" aria-hidden="true">O</span>' in response.content

    def test_the_homepage_runs_a_fixed_number_of_queries(
        self, client, people, communities, django_assert_max_num_queries
    ):
        for n in range(5):
            c = Community.objects.create(school=people.school_a, name=f"Club {n}")
            CommunityMembership.objects.create(community=c, user=people.pupil, start_date=people.school_a.local_today())
        client.force_login(people.pupil)
        with django_assert_max_num_queries(8):
            client.get(reverse("homepage"))


class CommunityPageQueryTests:
    def test_the_community_page_runs_the_same_queries_whatever_the_number_of_entries(
        self, client, people, communities, django_assert_num_queries
    ):
        client.force_login(people.teacher)
        client.get(communities.oak.get_absolute_url())
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            client.get(communities.oak.get_absolute_url())
        other = make_user(people.school_a, "a-other", Role.STAFF)
        for n in range(6):
            BlogPost.objects.create(
                community=communities.oak, author=other, author_role="staff", title=f"P{n}", body="x"
            )
            ForumTopic.objects.create(
                community=communities.oak, author=other, author_role="staff", title=f"T{n}", body="x"
            )
        with django_assert_num_queries(len(few)):
            client.get(communities.oak.get_absolute_url())
