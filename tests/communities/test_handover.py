"""The year-end handover screen, end to end: choose, check, apply once."""

import pytest
from django.urls import reverse

from accounts.models import AuditBatch, AuditEntry, Group, Role
from communities.models import Community, CommunityMembership
from communities.selectors import suggested_pass_up_group
from communities.services import HandoverChoice, RefusedError, handover_apply
from tests.communities.conftest import add_to_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(people, communities):
    """Three active communities: Year 3 Oak (from the fixture), Year 4 Maple and Choir, plus a
    Year 4 Oak class with a pupil and a teacher to pass Year 3 Oak up to."""
    maple_class = Group.objects.create(school=people.school_a, name="Year 4 Maple", year_group="Y4")
    oak4 = Group.objects.create(school=people.school_a, name="Year 4 Oak", year_group="Y4")
    oak4_pupil = make_user(people.school_a, "a-oak4-pupil", Role.PUPIL, year_group="Y4")
    oak4_teacher = make_user(people.school_a, "a-oak4-teacher", Role.STAFF)
    add_to_class(oak4, oak4_pupil)
    add_to_class(oak4, oak4_teacher, role="teacher")
    maple = Community.objects.create(school=people.school_a, name="Year 4 Maple", group=maple_class)
    CommunityMembership.objects.create(
        community=maple, user=people.admin, role="leader", start_date=people.school_a.local_today()
    )
    choir = Community.objects.create(school=people.school_a, name="Choir")
    return {
        "oak": communities.oak,
        "maple": maple,
        "choir": choir,
        "oak4": oak4,
        "oak4_pupil": oak4_pupil,
        "oak4_teacher": oak4_teacher,
    }


def choices(school, **overrides):
    data = {}
    for key in ("oak", "maple", "choir"):
        pk = school[key].pk
        data[f"action_{pk}"] = "keep"
        data[f"group_{pk}"] = ""
        data[f"name_{pk}"] = ""
    data.update(overrides)
    return data


def current(community):
    return dict(
        CommunityMembership.objects.filter(community=community, end_date__isnull=True).values_list(
            "user__username", "role"
        )
    )


class HandoverTests:
    def test_the_screen_has_one_row_per_active_community_with_a_suggested_class(self, client, people, school):
        Community.objects.create(
            school=people.school_a, name="Gone", status="archived", archived_at=school["oak"].created_at
        )
        client.force_login(people.superadmin)
        response = client.get(reverse("communities:handover"))
        assert response.status_code == 200
        form = response.context["form"]
        assert [c.name for c in form.communities] == ["Choir", "Year 3 Oak", "Year 4 Maple"]
        assert form[f"group_{school['oak'].pk}"].value() == str(school["oak4"].pk)
        assert b"Gone" not in response.content

    def test_the_preview_lists_what_each_will_do_and_changes_nothing(self, client, people, school):
        oak, maple = school["oak"], school["maple"]
        client.force_login(people.superadmin)
        data = choices(
            school,
            **{f"action_{oak.pk}": "pass_up", f"group_{oak.pk}": str(school["oak4"].pk), f"action_{maple.pk}": "copy"},
        )
        response = client.post(reverse("communities:handover_preview"), data)
        assert response.status_code == 200
        text = response.content.decode()
        assert "Passed up to Year 4 Oak and renamed “Year 4 Oak”" in text
        assert "New leaders: Teacher Tester" in text
        assert "A new active copy “Year 4 Maple”" in text
        assert "Choir" not in text.split("Check the year-end handover")[1].split("Apply the handover")[0]
        oak.refresh_from_db()
        assert oak.name == "Year 3 Oak" and Community.objects.count() == 4
        assert not AuditEntry.objects.exists()

    def test_pass_up_without_a_class_is_an_error_by_the_field(self, client, people, school):
        oak = school["oak"]
        client.force_login(people.superadmin)
        response = client.post(
            reverse("communities:handover_preview"), choices(school, **{f"action_{oak.pk}": "pass_up"})
        )
        assert response.status_code == 400
        assert b"Choose the class to pass Year 3 Oak up to" in response.content
        assert f'href="#id_group_{oak.pk}"'.encode() in response.content

    def test_apply_runs_everything_in_one_batch(self, client, people, school):
        oak, maple, choir = school["oak"], school["maple"], school["choir"]
        client.force_login(people.superadmin)
        data = choices(
            school,
            **{
                f"action_{oak.pk}": "pass_up",
                f"group_{oak.pk}": str(school["oak4"].pk),
                f"name_{oak.pk}": "Oak Owls",
                f"action_{maple.pk}": "copy",
                f"action_{choir.pk}": "archive",
            },
        )
        response = client.post(reverse("communities:handover_apply"), data, follow=True)
        assert b"Handover done: 2 archived, 1 copied, 1 passed up." in response.content

        oak.refresh_from_db()
        assert (oak.name, oak.group, oak.status) == ("Oak Owls", school["oak4"], "active")
        assert current(oak) == {"a-oak4-pupil": "member", "a-oak4-teacher": "leader"}
        assert oak.posts.count() == 1  # the entries stay with a passed-up community
        assert CommunityMembership.objects.filter(community=oak, user=people.pupil, end_date__isnull=False).exists()

        maple.refresh_from_db()
        assert maple.is_archived and current(maple) == {}
        copy = Community.objects.get(name="Year 4 Maple", status="active")
        assert copy.group == maple.group and current(copy) == {}

        choir.refresh_from_db()
        assert choir.is_archived

        batch = AuditBatch.objects.get(kind="handover")
        assert batch.actor == people.superadmin
        assert AuditEntry.objects.filter(target_type="community").exclude(batch=batch).count() == 0
        assert set(batch.entries.values_list("action", flat=True)) >= {
            "passed_up",
            "archived",
            "rolled_over",
            "member_added",
            "member_removed",
        }

    def test_passing_up_to_its_own_renamed_class_keeps_the_rows_of_people_still_in_it(self, client, people, school):
        oak = school["oak"]
        people.class_a.name = "Year 4 Oak (was 3)"
        people.class_a.save()
        before = set(CommunityMembership.objects.filter(community=oak).values_list("pk", flat=True))
        client.force_login(people.superadmin)
        client.post(
            reverse("communities:handover_apply"),
            choices(school, **{f"action_{oak.pk}": "pass_up", f"group_{oak.pk}": str(people.class_a.pk)}),
        )
        oak.refresh_from_db()
        assert oak.name == "Year 4 Oak (was 3)"
        assert (
            set(CommunityMembership.objects.filter(community=oak, end_date__isnull=True).values_list("pk", flat=True))
            == before
        )

    def test_keeping_everything_changes_nothing(self, client, people, school):
        client.force_login(people.superadmin)
        client.post(reverse("communities:handover_apply"), choices(school))
        assert Community.objects.filter(school=people.school_a, status="active").count() == 3
        assert not AuditEntry.objects.exists() and not AuditBatch.objects.exists()

    def test_a_refusal_part_way_changes_nothing(self, people, school):
        """One Apply is one transaction: a community archived since the preview refuses the lot."""
        oak, choir = school["oak"], school["choir"]
        plan = [
            HandoverChoice(community=choir, action="archive"),
            HandoverChoice(community=oak, action="copy"),
        ]
        # The preview was built while Oak was active; someone archives it before Apply.
        Community.objects.filter(pk=oak.pk).update(status="archived", archived_at=oak.created_at)
        with pytest.raises(RefusedError):
            handover_apply(school=people.school_a, choices=plan, actor=people.superadmin)
        choir.refresh_from_db()
        assert choir.is_active
        assert not AuditBatch.objects.filter(kind="handover").exists()
        assert not AuditEntry.objects.exists()

    @pytest.mark.parametrize("persona", ["admin", "teacher", "pupil"])
    def test_only_the_superadmin_runs_the_handover(self, client, people, school, persona):
        client.force_login(getattr(people, persona))
        assert client.get(reverse("communities:handover")).status_code == 404
        assert (
            client.post(
                reverse("communities:handover_apply"), choices(school, **{f"action_{school['choir'].pk}": "archive"})
            ).status_code
            == 404
        )
        school["choir"].refresh_from_db()
        assert school["choir"].is_active

    def test_another_schools_class_cannot_be_chosen(self, client, people, school):
        oak = school["oak"]
        client.force_login(people.superadmin)
        response = client.post(
            reverse("communities:handover_apply"),
            choices(school, **{f"action_{oak.pk}": "pass_up", f"group_{oak.pk}": str(people.class_b.pk)}),
        )
        assert response.status_code == 400
        oak.refresh_from_db()
        assert oak.group == people.class_a

    def test_the_handover_screen_runs_a_fixed_number_of_queries(
        self, client, people, school, django_assert_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(people.superadmin)
        client.get(reverse("communities:handover"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("communities:handover"))
        for n in range(5):
            c = Community.objects.create(school=people.school_a, name=f"Club {n}", group=school["oak4"])
            CommunityMembership.objects.create(community=c, user=people.pupil, start_date=people.school_a.local_today())
        with django_assert_num_queries(len(few)):
            client.get(reverse("communities:handover"))


class SuggestionTests:
    def test_it_suggests_the_next_year_class_with_the_same_name(self, people):
        y3 = Group.objects.create(school=people.school_a, name="Year 3 Holly", year_group="Y3")
        groups = [
            Group.objects.create(school=people.school_a, name="Year 4 Ash", year_group="Y4"),
            Group.objects.create(school=people.school_a, name="Year 4 Holly", year_group="Y4"),
        ]
        community = Community(school=people.school_a, name="Year 3 Holly", group=y3)
        assert suggested_pass_up_group(community=community, groups=groups) == groups[1]

    def test_it_suggests_nothing_for_year_6_or_an_unlinked_community(self, people):
        y6 = Group.objects.create(school=people.school_a, name="Year 6 Pine", year_group="Y6")
        assert suggested_pass_up_group(community=Community(name="x", group=y6), groups=[y6]) is None
        assert suggested_pass_up_group(community=Community(name="x"), groups=[y6]) is None
