"""The cog: rename, who can post, membership and deleting entries; leaders and the superadmin only."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Group, Role
from communities.models import BlogPost, Community, CommunityMembership, ForumReply, ForumTopic
from tests.communities.conftest import add_to_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def current(community):
    return dict(
        CommunityMembership.objects.filter(community=community, end_date__isnull=True).values_list(
            "user__username", "role"
        )
    )


class CogAccessTests:
    @pytest.mark.parametrize("name", ["settings", "rename", "members", "entries"])
    def test_a_pupil_member_gets_a_404_on_every_settings_page(self, client, people, communities, name):
        client.force_login(people.pupil)
        assert client.get(reverse(f"communities:{name}", args=[communities.oak.pk])).status_code == 404

    def test_a_teacher_who_leads_another_community_gets_a_404_here(self, client, people, communities):
        other = Community.objects.create(school=people.school_a, name="Choir")
        colleague = make_user(people.school_a, "a-colleague", Role.STAFF)
        CommunityMembership.objects.create(
            community=other, user=colleague, role="leader", start_date=other.created_at.date()
        )
        CommunityMembership.objects.create(
            community=communities.oak, user=colleague, role="member", start_date=other.created_at.date()
        )
        client.force_login(colleague)
        assert client.get(reverse("communities:settings", args=[communities.oak.pk])).status_code == 404
        assert client.get(reverse("communities:settings", args=[other.pk])).status_code == 200

    def test_a_pupil_cannot_rename_by_posting_directly(self, client, people, communities):
        client.force_login(people.pupil)
        response = client.post(reverse("communities:rename", args=[communities.oak.pk]), {"name": "Hacked"})
        assert response.status_code == 404
        communities.oak.refresh_from_db()
        assert communities.oak.name == "Year 3 Oak"

    def test_an_archived_communitys_settings_are_closed(self, client, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(
            status="archived", archived_at=communities.oak.created_at
        )
        client.force_login(people.superadmin)
        assert client.get(reverse("communities:settings", args=[communities.oak.pk])).status_code == 404

    @pytest.mark.parametrize("persona", ["teacher", "superadmin"])
    def test_leaders_and_the_superadmin_open_the_settings(self, client, people, communities, persona):
        client.force_login(getattr(people, persona))
        response = client.get(reverse("communities:settings", args=[communities.oak.pk]))
        assert response.status_code == 200
        assert b"Manage membership" in response.content and b"Delete entries" in response.content


class RenameTests:
    def test_a_leader_renames_the_community_and_it_is_audited(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.post(reverse("communities:rename", args=[communities.oak.pk]), {"name": "Year 4 Oak"})
        assert response.status_code == 302
        communities.oak.refresh_from_db()
        assert communities.oak.name == "Year 4 Oak"
        entry = AuditEntry.objects.get(action="renamed", target_id=communities.oak.pk)
        assert entry.detail == {"from": "Year 3 Oak", "to": "Year 4 Oak"} and entry.actor == people.teacher

    def test_a_blank_name_is_refused_with_a_message_by_the_field(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.post(reverse("communities:rename", args=[communities.oak.pk]), {"name": "  "})
        assert response.status_code == 400
        assert b"Enter a name for the community" in response.content
        assert b'href="#id_name"' in response.content

    def test_leaders_see_the_pencil_beside_the_name_and_pupils_do_not(self, client, people, communities):
        rename = reverse("communities:rename", args=[communities.oak.pk]).encode()
        client.force_login(people.teacher)
        assert rename in client.get(communities.oak.get_absolute_url()).content
        client.force_login(people.pupil)
        assert rename not in client.get(communities.oak.get_absolute_url()).content

    def test_the_settings_page_has_the_pencil_beside_the_name(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.get(reverse("communities:settings", args=[communities.oak.pk]))
        assert reverse("communities:rename", args=[communities.oak.pk]).encode() in response.content


class PostingSettingTests:
    def test_a_leader_lets_members_post_and_back(self, client, people, communities):
        client.force_login(people.teacher)
        url = reverse("communities:posting", args=[communities.oak.pk])
        client.post(url, {"pupils_can_post": "on"})
        communities.oak.refresh_from_db()
        assert communities.oak.pupils_can_post
        client.post(url, {})
        communities.oak.refresh_from_db()
        assert not communities.oak.pupils_can_post
        assert AuditEntry.objects.filter(action="posting_changed", target_id=communities.oak.pk).count() == 2


class MembershipTests:
    def test_a_leader_adds_pupils_as_members(self, client, people, communities):
        other = make_user(people.school_a, "a-newpupil", Role.PUPIL)
        client.force_login(people.teacher)
        client.post(
            reverse("communities:members_add_pupils", args=[communities.oak.pk]),
            {"pupils-people": [other.pk], "pupils-role": "member"},
        )
        assert current(communities.oak)["a-newpupil"] == "member"
        assert AuditEntry.objects.filter(action="member_added", target_id=communities.oak.pk).count() == 1

    def test_a_pupil_cannot_be_added_as_a_leader(self, client, people, communities):
        other = make_user(people.school_a, "a-newpupil", Role.PUPIL)
        client.force_login(people.teacher)
        response = client.post(
            reverse("communities:members_add_pupils", args=[communities.oak.pk]),
            {"pupils-people": [other.pk], "pupils-role": "leader"},
        )
        assert response.status_code == 400
        assert "a-newpupil" not in current(communities.oak)

    def test_a_leader_adds_staff_as_leaders(self, client, people, communities):
        client.force_login(people.teacher)
        client.post(
            reverse("communities:members_add_staff", args=[communities.oak.pk]),
            {"staff-people": [people.admin.pk], "staff-role": "leader"},
        )
        assert current(communities.oak)["a-admin"] == "leader"

    def test_another_schools_pupil_cannot_be_added(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.post(
            reverse("communities:members_add_pupils", args=[communities.oak.pk]),
            {"pupils-people": [people.pupil_b.pk], "pupils-role": "member"},
        )
        assert response.status_code == 400
        assert "b-pupil" not in current(communities.oak)

    def test_add_class_adds_pupils_as_members_and_teachers_as_leaders(self, client, people, communities):
        group = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        pupil = make_user(people.school_a, "a-elm-pupil", Role.PUPIL)
        teacher = make_user(people.school_a, "a-elm-teacher", Role.STAFF)
        add_to_class(group, pupil)
        add_to_class(group, teacher, role="teacher")
        client.force_login(people.teacher)
        client.post(reverse("communities:members_add_class", args=[communities.oak.pk]), {"group": group.pk})
        members = current(communities.oak)
        assert members["a-elm-pupil"] == "member" and members["a-elm-teacher"] == "leader"
        assert members["a-pupil"] == "member"  # existing members stay

    def test_another_schools_class_cannot_be_added(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.post(
            reverse("communities:members_add_class", args=[communities.oak.pk]), {"group": people.class_b.pk}
        )
        assert response.status_code == 400
        assert "b-pupil" not in current(communities.oak)

    def test_removing_a_member_ends_their_membership_and_keeps_the_row(self, client, people, communities):
        client.force_login(people.teacher)
        client.post(reverse("communities:member_remove", args=[communities.oak.pk, people.pupil.pk]))
        assert "a-pupil" not in current(communities.oak)
        row = CommunityMembership.objects.get(community=communities.oak, user=people.pupil)
        assert row.end_date == people.school_a.local_today()

    def test_a_leader_makes_and_unmakes_a_staff_member_a_leader(self, client, people, communities):
        CommunityMembership.objects.create(
            community=communities.oak, user=people.admin, role="member", start_date=people.school_a.local_today()
        )
        client.force_login(people.teacher)
        client.post(reverse("communities:member_make_leader", args=[communities.oak.pk, people.admin.pk]))
        assert current(communities.oak)["a-admin"] == "leader"
        client.post(reverse("communities:member_unmake_leader", args=[communities.oak.pk, people.admin.pk]))
        assert current(communities.oak)["a-admin"] == "member"
        assert AuditEntry.objects.filter(action__in=["leader_made", "leader_unmade"]).count() == 2

    def test_a_pupil_cannot_be_made_a_leader(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.post(
            reverse("communities:member_make_leader", args=[communities.oak.pk, people.pupil.pk]), follow=True
        )
        assert b"Only staff can lead a community" in response.content
        assert current(communities.oak)["a-pupil"] == "member"

    def test_someone_who_is_not_a_member_cannot_be_removed(self, client, people, communities):
        client.force_login(people.teacher)
        assert (
            client.post(reverse("communities:member_remove", args=[communities.oak.pk, people.admin.pk])).status_code
            == 404
        )

    def test_the_members_page_runs_a_fixed_number_of_queries(
        self, client, people, communities, django_assert_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(people.teacher)
        url = reverse("communities:members", args=[communities.oak.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for n in range(5):
            CommunityMembership.objects.create(
                community=communities.oak,
                user=make_user(people.school_a, f"a-extra{n}", Role.PUPIL),
                start_date=people.school_a.local_today(),
            )
            make_user(people.school_a, f"a-spare{n}", Role.PUPIL)
        with django_assert_num_queries(len(few)):
            client.get(url)


class EntriesDeleteTests:
    def test_the_confirmation_lists_the_ticked_entries_and_changes_nothing(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.get(
            reverse("communities:entries_delete", args=[communities.oak.pk]),
            {"posts": [communities.post.pk], "topics": [communities.topic.pk]},
        )
        assert response.status_code == 200
        assert b"Delete 2 entries from Year 3 Oak?" in response.content
        assert b"Welcome" in response.content and b"Books" in response.content
        assert BlogPost.objects.filter(pk=communities.post.pk).exists()

    def test_a_leader_deletes_several_entries_together(self, client, people, communities):
        extra = BlogPost.objects.create(community=communities.oak, author_role="staff", title="Keep me", body="x")
        client.force_login(people.teacher)
        client.post(
            reverse("communities:entries_delete", args=[communities.oak.pk]),
            {"posts": [communities.post.pk], "topics": [communities.topic.pk]},
        )
        assert list(BlogPost.objects.filter(community=communities.oak)) == [extra]
        assert not ForumTopic.objects.filter(community=communities.oak).exists()
        assert not ForumReply.objects.filter(pk=communities.reply.pk).exists()
        assert set(AuditEntry.objects.filter(target_id=communities.oak.pk).values_list("action", flat=True)) == {
            "blog_post_deleted",
            "forum_topic_deleted",
        }

    def test_entries_of_another_community_are_a_404(self, client, people, communities):
        other = Community.objects.create(school=people.school_a, name="Choir")
        post = BlogPost.objects.create(community=other, author_role="staff", title="Other", body="x")
        client.force_login(people.teacher)
        response = client.post(reverse("communities:entries_delete", args=[communities.oak.pk]), {"posts": [post.pk]})
        assert response.status_code == 404
        assert BlogPost.objects.filter(pk=post.pk).exists()

    def test_nothing_ticked_sends_the_leader_back_with_a_message(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.get(reverse("communities:entries_delete", args=[communities.oak.pk]), follow=True)
        assert b"Select at least one blog post or forum topic" in response.content

    def test_the_entries_page_runs_a_fixed_number_of_queries(
        self, client, people, communities, django_assert_num_queries
    ):
        client.force_login(people.teacher)
        url = reverse("communities:entries", args=[communities.oak.pk])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for n in range(5):
            BlogPost.objects.create(
                community=communities.oak, author=people.admin, author_role="staff", title=f"P{n}", body="x"
            )
            ForumTopic.objects.create(
                community=communities.oak, author=people.admin, author_role="staff", title=f"T{n}", body="x"
            )
        with django_assert_num_queries(len(few)):
            client.get(url)


class MembersPageTests:
    def test_leaders_are_listed_before_members(self, client, people, communities):
        client.force_login(people.teacher)
        response = client.get(reverse("communities:members", args=[communities.oak.pk]))
        assert [m.user.username for m in response.context["members"]] == ["a-teacher", "a-pupil"]
