"""Tenant isolation and CSRF: another school's community is a 404 for everyone, on every URL;
every state-changing URL refuses a POST without a CSRF token."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, Role
from communities.models import BlogPost, Community, CommunityMembership, ForumTopic
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def object_urls(c):
    """(method, url) for every URL that names School A's community or its entries."""
    pk, topic, post, user = c.oak.pk, c.topic.pk, c.post.pk, c.reply.author_id
    return [
        ("get", reverse("communities:detail", args=[pk])),
        ("post", reverse("communities:post_create", args=[pk])),
        ("post", reverse("communities:topic_create", args=[pk])),
        ("get", reverse("communities:topic", args=[pk, topic])),
        ("post", reverse("communities:reply_create", args=[pk, topic])),
        ("get", reverse("communities:settings", args=[pk])),
        ("get", reverse("communities:rename", args=[pk])),
        ("post", reverse("communities:rename", args=[pk])),
        ("post", reverse("communities:posting", args=[pk])),
        ("get", reverse("communities:members", args=[pk])),
        ("post", reverse("communities:members_add_pupils", args=[pk])),
        ("post", reverse("communities:members_add_staff", args=[pk])),
        ("post", reverse("communities:members_add_class", args=[pk])),
        ("post", reverse("communities:member_remove", args=[pk, user])),
        ("post", reverse("communities:member_make_leader", args=[pk, user])),
        ("post", reverse("communities:member_unmake_leader", args=[pk, user])),
        ("get", reverse("communities:entries", args=[pk])),
        ("get", reverse("communities:entries_delete", args=[pk]) + f"?posts={post}"),
        ("post", reverse("communities:entries_delete", args=[pk]) + f"?posts={post}"),
        ("get", reverse("communities:restore", args=[pk])),
        ("post", reverse("communities:restore", args=[pk])),
        ("get", reverse("communities:delete", args=[pk])),
        ("post", reverse("communities:delete", args=[pk])),
        ("get", reverse("communities:archive") + f"?ids={pk}"),
        ("post", reverse("communities:archive") + f"?ids={pk}"),
    ]


@pytest.fixture
def superadmin_b(people):
    return make_user(people.school_b, "b-superadmin", Role.SUPERADMIN)


def _school_b_user(people, superadmin_b, who):
    return {"admin": people.admin_b, "superadmin": superadmin_b, "pupil": people.pupil_b}[who]


class SchoolIsolationTests:
    @pytest.mark.parametrize("who", ["admin", "superadmin", "pupil"])
    def test_school_b_users_get_a_404_on_every_url_of_school_as_community(
        self, client, people, communities, superadmin_b, who
    ):
        client.force_login(_school_b_user(people, superadmin_b, who))
        for method, url in object_urls(communities):
            response = getattr(client, method)(
                url, {"ids": [communities.oak.pk], "posts": [communities.post.pk]} if method == "post" else None
            )
            assert response.status_code == 404, (method, url, response.status_code)
        # Nothing changed.
        communities.oak.refresh_from_db()
        assert communities.oak.is_active and communities.oak.name == "Year 3 Oak"
        assert BlogPost.objects.filter(pk=communities.post.pk).exists()
        assert not AuditEntry.objects.filter(school=people.school_a).exists()

    def test_school_a_ids_mixed_with_school_b_ids_are_a_404_when_archiving(
        self, client, people, communities, superadmin_b
    ):
        client.force_login(superadmin_b)
        response = client.post(reverse("communities:archive"), {"ids": [communities.ash_b.pk, communities.oak.pk]})
        assert response.status_code == 404
        communities.ash_b.refresh_from_db()
        assert communities.ash_b.is_active

    def test_school_b_entries_cannot_be_deleted_through_school_as_community(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.post(
            reverse("communities:entries_delete", args=[communities.oak.pk]),
            {"posts": [communities.post_b.pk], "topics": [communities.topic_b.pk]},
        )
        assert response.status_code == 404
        assert BlogPost.objects.filter(pk=communities.post_b.pk).exists()
        assert ForumTopic.objects.filter(pk=communities.topic_b.pk).exists()

    def test_a_school_b_topic_under_school_as_community_is_a_404(self, client, people, communities):
        client.force_login(people.teacher)
        url = reverse("communities:topic", args=[communities.oak.pk, communities.topic_b.pk])
        assert client.get(url).status_code == 404

    def test_a_school_b_member_cannot_be_removed_through_school_as_community(self, client, people, communities):
        client.force_login(people.teacher)
        url = reverse("communities:member_remove", args=[communities.oak.pk, people.pupil_b.pk])
        assert client.post(url).status_code == 404
        assert CommunityMembership.objects.filter(user=people.pupil_b, end_date__isnull=True).exists()

    def test_school_b_superadmins_tab_and_handover_show_only_their_own(self, client, people, communities, superadmin_b):
        client.force_login(superadmin_b)
        assert b"Year 3 Oak" not in client.get(reverse("communities:index")).content
        handover = client.get(reverse("communities:handover"))
        assert [c.pk for c in handover.context["form"].communities] == [communities.ash_b.pk]
        created = client.get(reverse("communities:create_for_classes"))
        assert b"Year 3 Oak" not in created.content and b"Year 3 Ash" in created.content

    def test_the_operator_has_no_school_and_gets_a_404(self, client, people, communities):
        client.force_login(people.operator)
        assert client.get(communities.oak.get_absolute_url()).status_code == 404
        assert client.get(reverse("communities:index")).status_code == 404

    def test_anonymous_visitors_are_sent_to_log_in(self, client, communities):
        response = client.get(communities.oak.get_absolute_url())
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


class CsrfTests:
    def test_every_state_changing_url_refuses_a_post_without_a_csrf_token(self, people, communities):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.superadmin)
        posts = [url for method, url in object_urls(communities) if method == "post"] + [
            reverse("communities:create_for_classes"),
            reverse("communities:handover_preview"),
            reverse("communities:handover_apply"),
        ]
        for url in posts:
            assert client.post(url, {"name": "x", "ids": [communities.oak.pk]}).status_code == 403, url
        communities.oak.refresh_from_db()
        assert communities.oak.is_active and communities.oak.name == "Year 3 Oak"

    def test_get_never_changes_anything(self, client, people, communities):
        client.force_login(people.superadmin)
        for method, url in object_urls(communities):
            if method == "get":
                client.get(url)
        for name in ("post_create", "topic_create", "posting", "members_add_class"):
            assert client.get(reverse(f"communities:{name}", args=[communities.oak.pk])).status_code == 405
        assert client.get(reverse("communities:handover_apply")).status_code == 405
        communities.oak.refresh_from_db()
        assert communities.oak.is_active
        assert Community.objects.filter(school=people.school_a).count() == 1
        assert not AuditEntry.objects.exists()
