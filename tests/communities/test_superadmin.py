"""The superadmin's Communities tab: list, archive (with and without each option), rollover,
restore, delete, and creating communities for classes."""

import pytest
from django.urls import reverse

from accounts.models import AuditBatch, AuditEntry, Group, Role
from communities.models import BlogPost, Community, CommunityMembership, ForumReply
from tests.communities.conftest import add_to_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def archive(client, community, **options):
    data = {"ids": [community.pk]}
    data.update({k: "on" for k, v in options.items() if v})
    return client.post(reverse("communities:archive"), data)


def current_count(community):
    return CommunityMembership.objects.filter(community=community, end_date__isnull=True).count()


class CommunitiesTabTests:
    @pytest.mark.parametrize("persona", ["admin", "teacher", "pupil"])
    def test_only_the_superadmin_opens_the_tab(self, client, people, communities, persona):
        client.force_login(getattr(people, persona))
        assert client.get(reverse("communities:index")).status_code == 404

    def test_the_tab_lists_the_schools_communities_only(self, client, people, communities):
        client.force_login(people.superadmin)
        response = client.get(reverse("communities:index"))
        assert response.status_code == 200
        assert b"Year 3 Oak" in response.content
        assert b"Year 3 Ash" not in response.content

    def test_the_tab_filters_by_status(self, client, people, communities):
        Community.objects.create(
            school=people.school_a, name="Old Class", status="archived", archived_at=communities.oak.created_at
        )
        client.force_login(people.superadmin)
        archived = client.get(reverse("communities:index"), {"status": "archived"})
        assert b"Old Class" in archived.content and b"Year 3 Oak" not in archived.content
        active = client.get(reverse("communities:index"), {"status": "active"})
        assert b"Old Class" not in active.content and b"Year 3 Oak" in active.content

    def test_the_toolbox_links_to_the_tab_for_the_superadmin_only(self, client, people):
        client.force_login(people.superadmin)
        assert reverse("communities:index").encode() in client.get(reverse("toolbox")).content
        client.force_login(people.admin)
        assert reverse("communities:index").encode() not in client.get(reverse("toolbox")).content

    def test_the_tab_runs_a_fixed_number_of_queries(self, client, people, communities, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(people.superadmin)
        client.get(reverse("communities:index"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("communities:index"))
        for n in range(8):
            c = Community.objects.create(school=people.school_a, name=f"Club {n}", group=people.class_a)
            BlogPost.objects.create(community=c, author_role="staff", title="x", body="x")
            CommunityMembership.objects.create(community=c, user=people.pupil, start_date=people.school_a.local_today())
        with django_assert_num_queries(len(few)):
            response = client.get(reverse("communities:index"))
        assert b"Club 7" in response.content


class ArchiveTests:
    def test_the_archive_form_lists_the_ticked_communities_and_changes_nothing(self, client, people, communities):
        client.force_login(people.superadmin)
        response = client.get(reverse("communities:archive"), {"ids": [communities.oak.pk]})
        assert response.status_code == 200
        assert b"Year 3 Oak" in response.content
        assert b"Remove members" in response.content and b"Rollover" in response.content
        assert b"Archive Communities" in response.content
        communities.oak.refresh_from_db()
        assert communities.oak.is_active

    def test_archive_alone_keeps_members_but_hides_it_from_homepages(self, client, people, communities):
        client.force_login(people.superadmin)
        archive(client, communities.oak)
        communities.oak.refresh_from_db()
        assert communities.oak.is_archived and communities.oak.archived_at is not None
        assert current_count(communities.oak) == 2
        assert Community.objects.filter(school=people.school_a).count() == 1
        client.force_login(people.pupil)
        assert communities.oak.get_absolute_url().encode() not in client.get(reverse("homepage")).content
        assert client.get(communities.oak.get_absolute_url()).status_code == 200  # still readable by its members

    def test_archive_with_remove_members_ends_memberships_but_keeps_who_was_in_it(self, client, people, communities):
        client.force_login(people.superadmin)
        archive(client, communities.oak, remove_members=True)
        assert current_count(communities.oak) == 0
        assert CommunityMembership.objects.filter(community=communities.oak).count() == 2
        assert AuditEntry.objects.filter(action="member_removed", target_id=communities.oak.pk).count() == 2

    def test_rollover_copies_posts_topics_and_replies_but_not_members(self, client, people, communities):
        client.force_login(people.superadmin)
        archive(client, communities.oak, rollover=True)
        communities.oak.refresh_from_db()
        assert communities.oak.is_archived
        copy = Community.objects.get(school=people.school_a, status="active")
        assert copy.pk != communities.oak.pk
        assert (copy.name, copy.group) == ("Year 3 Oak", people.class_a)
        assert current_count(copy) == 0
        assert list(copy.posts.values_list("title", "author", "author_role")) == [
            ("Welcome", people.teacher.pk, "staff")
        ]
        topic = copy.topics.get()
        assert topic.title == "Books"
        assert list(topic.replies.values_list("body", "author")) == [("Matilda", people.pupil.pk)]
        # The original keeps its own entries.
        assert (
            communities.oak.posts.count() == 1
            and ForumReply.objects.filter(topic__community=communities.oak).count() == 1
        )
        assert current_count(communities.oak) == 2  # rollover without remove members keeps the old membership

    def test_rollover_with_remove_members_leaves_both_memberless(self, client, people, communities):
        client.force_login(people.superadmin)
        archive(client, communities.oak, rollover=True, remove_members=True)
        assert current_count(communities.oak) == 0
        assert current_count(Community.objects.get(status="active", school=people.school_a)) == 0

    def test_an_archive_is_one_audit_batch(self, client, people, communities):
        second = Community.objects.create(school=people.school_a, name="Choir")
        client.force_login(people.superadmin)
        client.post(reverse("communities:archive"), {"ids": [communities.oak.pk, second.pk], "rollover": "on"})
        batch = AuditBatch.objects.get(school=people.school_a)
        assert set(batch.entries.filter(action="archived").values_list("target_id", flat=True)) == {
            communities.oak.pk,
            second.pk,
        }
        assert batch.entries.filter(action="rolled_over").count() == 2

    def test_archiving_an_archived_community_is_refused(self, client, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(
            status="archived", archived_at=communities.oak.created_at
        )
        client.force_login(people.superadmin)
        response = archive(client, communities.oak, rollover=True)
        assert response.status_code == 302
        assert Community.objects.filter(school=people.school_a).count() == 1

    def test_nothing_ticked_goes_back_with_a_message(self, client, people):
        client.force_login(people.superadmin)
        response = client.get(reverse("communities:archive"), follow=True)
        assert b"Select at least one community" in response.content

    def test_an_admin_cannot_archive(self, client, people, communities):
        client.force_login(people.admin)
        assert archive(client, communities.oak).status_code == 404
        communities.oak.refresh_from_db()
        assert communities.oak.is_active


class RestoreAndDeleteTests:
    @pytest.fixture
    def archived(self, communities):
        Community.objects.filter(pk=communities.oak.pk).update(
            status="archived", archived_at=communities.oak.created_at
        )
        communities.oak.refresh_from_db()
        return communities.oak

    def test_the_superadmin_reads_an_archived_community(self, client, people, archived):
        client.force_login(people.superadmin)
        response = client.get(archived.get_absolute_url())
        assert response.status_code == 200 and b"Welcome" in response.content
        assert b"Write a blog post" not in response.content

    def test_restore_asks_first_then_makes_it_active(self, client, people, archived):
        client.force_login(people.superadmin)
        url = reverse("communities:restore", args=[archived.pk])
        assert client.get(url).status_code == 200
        archived.refresh_from_db()
        assert archived.is_archived
        client.post(url)
        archived.refresh_from_db()
        assert archived.is_active and archived.archived_at is None
        assert AuditEntry.objects.filter(action="restored", target_id=archived.pk).exists()

    def test_delete_confirmation_lists_what_goes(self, client, people, archived):
        client.force_login(people.superadmin)
        response = client.get(reverse("communities:delete", args=[archived.pk]))
        assert b"1 blog post" in response.content and b"1 forum topic" in response.content
        assert Community.objects.filter(pk=archived.pk).exists()

    def test_delete_removes_it_for_good_and_keeps_an_audit_entry(self, client, people, archived):
        client.force_login(people.superadmin)
        client.post(reverse("communities:delete", args=[archived.pk]))
        assert not Community.objects.filter(pk=archived.pk).exists()
        assert not BlogPost.objects.filter(pk=archived.pk).exists()
        entry = AuditEntry.objects.get(action="deleted", target_type="community")
        assert entry.target_label == "Year 3 Oak"

    def test_an_active_community_cannot_be_deleted(self, client, people, communities):
        client.force_login(people.superadmin)
        client.post(reverse("communities:delete", args=[communities.oak.pk]))
        assert Community.objects.filter(pk=communities.oak.pk).exists()


class CreateForClassesTests:
    def test_one_community_per_class_with_pupils_as_members_and_teachers_as_leaders(self, client, people):
        elm = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        elm_pupil = make_user(people.school_a, "a-elm", Role.PUPIL)
        add_to_class(elm, elm_pupil)
        client.force_login(people.superadmin)
        response = client.post(reverse("communities:create_for_classes"), {"groups": [people.class_a.pk, elm.pk]})
        assert response.status_code == 302
        oak = Community.objects.get(group=people.class_a)
        assert oak.name == "Year 3 Oak"
        roles = dict(CommunityMembership.objects.filter(community=oak).values_list("user__username", "role"))
        assert roles == {"a-pupil": "member", "a-teacher": "leader"}
        assert CommunityMembership.objects.get(community__group=elm).user == elm_pupil
        assert AuditBatch.objects.get(school=people.school_a).entries.filter(action="created").count() == 2

    def test_a_class_with_an_active_community_is_skipped_and_reported(self, client, people, communities):
        client.force_login(people.superadmin)
        response = client.post(reverse("communities:create_for_classes"), {"groups": [people.class_a.pk]}, follow=True)
        assert Community.objects.filter(group=people.class_a).count() == 1
        assert b"Skipped because they already have an active community: Year 3 Oak" in response.content

    def test_a_class_whose_community_is_archived_gets_a_new_one(self, client, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(
            status="archived", archived_at=communities.oak.created_at
        )
        client.force_login(people.superadmin)
        client.post(reverse("communities:create_for_classes"), {"groups": [people.class_a.pk]})
        assert Community.objects.filter(group=people.class_a, status="active").count() == 1

    def test_choosing_no_class_shows_the_error_summary(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(reverse("communities:create_for_classes"), {})
        assert response.status_code == 400
        assert b"Select at least one class" in response.content

    def test_another_schools_class_is_refused(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(reverse("communities:create_for_classes"), {"groups": [people.class_b.pk]})
        assert response.status_code == 400
        assert not Community.objects.exists()
