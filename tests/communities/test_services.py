"""Services called directly, as other areas (the rollover wizard, the MIS sync) would call them."""

import pytest

from accounts.models import AuditEntry, Status
from communities.models import Community, CommunityMembership
from communities.services import (
    RefusedError,
    community_archive,
    community_create,
    community_rename,
    membership_add,
)

pytestmark = pytest.mark.django_db


class CommunityCreateTests:
    def test_it_creates_a_community_for_a_class_with_its_people(self, people):
        community = community_create(
            school=people.school_a, name=" Year 3 Oak ", group=people.class_a, actor=people.superadmin, add_class=True
        )
        assert community.name == "Year 3 Oak" and community.is_active
        roles = dict(CommunityMembership.objects.filter(community=community).values_list("user__username", "role"))
        assert roles == {"a-pupil": "member", "a-teacher": "leader"}
        assert AuditEntry.objects.filter(target_type="community", target_id=community.pk, action="created").exists()

    def test_it_refuses_another_schools_class(self, people):
        with pytest.raises(RefusedError):
            community_create(school=people.school_a, name="Ash", group=people.class_b, actor=people.superadmin)
        assert not Community.objects.exists()

    def test_a_leaver_in_the_class_is_not_added(self, people):
        people.pupil.status = Status.LEAVER
        people.pupil.is_active = False
        people.pupil.save()
        community = community_create(
            school=people.school_a, name="Oak", group=people.class_a, actor=people.superadmin, add_class=True
        )
        assert not CommunityMembership.objects.filter(community=community, user=people.pupil).exists()


class ServiceRefusalTests:
    def test_archive_refuses_another_schools_community(self, people, communities):
        with pytest.raises(RefusedError):
            community_archive(
                communities=[communities.ash_b], remove_members=True, rollover=False, actor=people.superadmin
            )
        communities.ash_b.refresh_from_db()
        assert communities.ash_b.is_active

    def test_an_archived_community_cannot_be_renamed(self, people, communities):
        Community.objects.filter(pk=communities.oak.pk).update(
            status="archived", archived_at=communities.oak.created_at
        )
        communities.oak.refresh_from_db()
        with pytest.raises(RefusedError):
            community_rename(community=communities.oak, name="New", actor=people.superadmin)

    def test_membership_add_refuses_a_leaver(self, people, communities):
        people.admin.status = Status.LEAVER
        people.admin.is_active = False
        people.admin.save()
        with pytest.raises(RefusedError):
            membership_add(community=communities.oak, users=[people.admin], role="member", actor=people.teacher)

    def test_renaming_to_the_same_name_writes_nothing(self, people, communities):
        community_rename(community=communities.oak, name="Year 3 Oak", actor=people.teacher)
        assert not AuditEntry.objects.exists()

    def test_archive_refuses_a_community_archived_since_it_was_loaded(self, people, communities):
        stale = communities.oak  # still says "active"
        Community.objects.filter(pk=stale.pk).update(status="archived", archived_at=stale.created_at)
        with pytest.raises(RefusedError):
            community_archive(communities=[stale], remove_members=False, rollover=True, actor=people.superadmin)
        assert Community.objects.filter(school=people.school_a).count() == 1
