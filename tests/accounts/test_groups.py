"""The Groups page: classes oldest year first, and every [Actions] action with its refusals."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditBatch, AuditEntry, Group, GroupMembership, Role
from accounts.selectors import school_uses_mis
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def current_pupils(group):
    return set(
        GroupMembership.objects.filter(group=group, role="pupil", end_date__isnull=True).values_list(
            "user_id", flat=True
        )
    )


def current_teachers(group):
    return set(
        GroupMembership.objects.filter(group=group, role="teacher", end_date__isnull=True).values_list(
            "user_id", flat=True
        )
    )


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


class GroupsPageTests:
    def test_it_lists_classes_oldest_year_first_then_classes_without_a_year(self, client, people):
        Group.objects.create(school=people.school_a, name="Reception Robins", year_group="R")
        Group.objects.create(school=people.school_a, name="Year 6 Pine", year_group="Y6")
        Group.objects.create(school=people.school_a, name="Art club")
        Group.objects.create(school=people.school_a, name="Nursery Ladybirds", year_group="N1")
        client.force_login(people.admin)
        response = client.get(reverse("groups"))
        assert response.status_code == 200
        names = [g.name for g in response.context["groups"]]
        assert names == ["Year 6 Pine", "Year 3 Oak", "Reception Robins", "Nursery Ladybirds", "Art club"]

    def test_it_shows_pupil_counts_and_teachers_and_only_this_schools_classes(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("groups"))
        oak = response.context["groups"][0]
        assert oak.pupil_count == 1
        assert [m.user for m in oak.current_teachers] == [people.teacher]
        assert b"Year 3 Ash" not in response.content
        assert b'class="actions-menu"' in response.content
        assert reverse("group_rename", args=[people.class_a.pk]).encode() in response.content

    def test_ended_memberships_do_not_count(self, client, people):
        GroupMembership.objects.filter(user=people.pupil).update(end_date=people.school_a.local_today())
        client.force_login(people.admin)
        assert client.get(reverse("groups")).context["groups"][0].pupil_count == 0

    def test_an_mis_managed_class_has_no_rename_or_delete_and_says_why(self, client, people):
        Group.objects.filter(pk=people.class_a.pk).update(mis_id="RG-3O", mis_managed=True)
        client.force_login(people.admin)
        content = client.get(reverse("groups")).content.decode()
        assert "Managed by the MIS" in content
        assert reverse("group_rename", args=[people.class_a.pk]) not in content
        assert reverse("group_delete", args=[people.class_a.pk]) not in content

    def test_its_query_count_does_not_grow_with_the_number_of_classes(self, client, people, django_assert_num_queries):
        client.force_login(people.admin)
        client.get(reverse("groups"))  # warm the session
        with django_assert_num_queries(5) as small:
            client.get(reverse("groups"))
        for n in range(12):
            group = Group.objects.create(school=people.school_a, name=f"Year 4 Class {n}", year_group="Y4")
            teacher = make_user(people.school_a, f"a-extra-teacher{n}", Role.STAFF)
            pupil = make_user(people.school_a, f"a-extra-pupil{n}", Role.PUPIL, year_group="Y4")
            GroupMembership.objects.create(
                group=group, user=teacher, role="teacher", start_date=people.school_a.local_today()
            )
            GroupMembership.objects.create(
                group=group, user=pupil, role="pupil", start_date=people.school_a.local_today()
            )
        with django_assert_num_queries(len(small.captured_queries)):
            response = client.get(reverse("groups"))
        assert len(response.context["groups"]) == 13

    def test_teachers_and_pupils_cannot_open_it(self, client, people):
        for persona in (people.teacher, people.pupil):
            client.force_login(persona)
            assert client.get(reverse("groups")).status_code == 404

    def test_school_b_admin_sees_only_school_b_classes(self, client, people):
        client.force_login(people.admin_b)
        response = client.get(reverse("groups"))
        assert [g.name for g in response.context["groups"]] == ["Year 3 Ash"]

    def test_a_school_without_an_mis_connection_does_not_use_mis(self, people):
        assert school_uses_mis(school=people.school_a) is False


class NewClassTests:
    def test_it_creates_a_class_and_records_it(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_new"), {"name": "  Year 4   Maple ", "year_group": "Y4"})
        assert response.status_code == 302
        group = Group.objects.get(school=people.school_a, name="Year 4 Maple")
        assert group.year_group == "Y4" and not group.mis_managed
        entry = AuditEntry.objects.get(action="group created")
        assert (entry.target_id, entry.actor, entry.school) == (group.pk, people.admin, people.school_a)

    def test_a_name_that_clashes_in_another_case_is_refused_with_a_clear_message(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_new"), {"name": "year 3 OAK", "year_group": ""})
        assert response.status_code == 200
        assert "There is already a class called “Year 3 Oak”" in response.content.decode()
        assert 'class="error-summary"' in response.content.decode()
        assert Group.objects.filter(school=people.school_a).count() == 1

    def test_the_same_name_is_fine_in_another_school(self, client, people):
        client.force_login(people.admin_b)
        client.post(reverse("group_new"), {"name": "Year 3 Oak", "year_group": "Y3"})
        assert Group.objects.filter(school=people.school_b, name="Year 3 Oak").exists()

    def test_a_blank_name_is_refused(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_new"), {"name": "   ", "year_group": "Y4"})
        assert "Enter a name for the class" in response.content.decode()
        assert Group.objects.filter(school=people.school_a).count() == 1

    def test_get_shows_the_form_and_changes_nothing(self, client, people):
        client.force_login(people.admin)
        assert client.get(reverse("group_new")).status_code == 200
        assert Group.objects.count() == 2

    def test_a_post_without_csrf_is_refused(self, people):
        response = csrf_client(people.admin).post(reverse("group_new"), {"name": "Year 4 Maple"})
        assert response.status_code == 403
        assert not Group.objects.filter(name="Year 4 Maple").exists()


class RenameTests:
    def test_it_renames_a_class_and_records_the_old_and_new_names(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_rename", args=[people.class_a.pk]), {"name": "Year 3 Oaks"})
        assert response.status_code == 302
        people.class_a.refresh_from_db()
        assert people.class_a.name == "Year 3 Oaks"
        entry = AuditEntry.objects.get(action="group renamed")
        assert entry.detail == {"from": "Year 3 Oak", "to": "Year 3 Oaks"}

    def test_a_change_of_case_only_is_allowed(self, client, people):
        client.force_login(people.admin)
        client.post(reverse("group_rename", args=[people.class_a.pk]), {"name": "YEAR 3 OAK"})
        people.class_a.refresh_from_db()
        assert people.class_a.name == "YEAR 3 OAK"

    def test_a_clash_with_another_class_is_refused_naming_it(self, client, people):
        Group.objects.create(school=people.school_a, name="Year 4 Oak", year_group="Y4")
        client.force_login(people.admin)
        response = client.post(reverse("group_rename", args=[people.class_a.pk]), {"name": "year 4 oak"})
        assert response.status_code == 200
        assert "There is already a class called “Year 4 Oak”" in response.content.decode()
        people.class_a.refresh_from_db()
        assert people.class_a.name == "Year 3 Oak"

    def test_an_mis_managed_class_cannot_be_renamed(self, client, people):
        Group.objects.filter(pk=people.class_a.pk).update(mis_id="RG-3O", mis_managed=True)
        client.force_login(people.admin)
        url = reverse("group_rename", args=[people.class_a.pk])
        assert "managed by the MIS" in client.get(url).content.decode()
        client.post(url, {"name": "Something else"})
        people.class_a.refresh_from_db()
        assert people.class_a.name == "Year 3 Oak"
        assert not AuditEntry.objects.exists()

    def test_a_post_without_csrf_is_refused(self, people):
        response = csrf_client(people.admin).post(reverse("group_rename", args=[people.class_a.pk]), {"name": "X"})
        assert response.status_code == 403
        people.class_a.refresh_from_db()
        assert people.class_a.name == "Year 3 Oak"

    def test_school_b_admin_gets_a_404(self, client, people):
        client.force_login(people.admin_b)
        url = reverse("group_rename", args=[people.class_a.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Hacked"}).status_code == 404
        people.class_a.refresh_from_db()
        assert people.class_a.name == "Year 3 Oak"


class DeleteTests:
    def test_it_deletes_an_empty_class_after_a_confirmation(self, client, people):
        empty = Group.objects.create(school=people.school_a, name="Year 6 Pine", year_group="Y6")
        client.force_login(people.admin)
        url = reverse("group_delete", args=[empty.pk])
        confirmation = client.get(url)
        assert "Delete class" in confirmation.content.decode()
        assert Group.objects.filter(pk=empty.pk).exists()
        response = client.post(url)
        assert response.status_code == 302
        assert not Group.objects.filter(pk=empty.pk).exists()
        entry = AuditEntry.objects.get(action="group deleted")
        assert (entry.target_id, entry.target_label) == (empty.pk, "Year 6 Pine")

    def test_a_class_with_pupils_is_refused_with_the_count(self, client, people):
        extra = make_user(people.school_a, "a-second-pupil", Role.PUPIL, year_group="Y3")
        GroupMembership.objects.create(
            group=people.class_a, user=extra, role="pupil", start_date=people.school_a.local_today()
        )
        client.force_login(people.admin)
        url = reverse("group_delete", args=[people.class_a.pk])
        assert "still has 2 pupils" in client.get(url).content.decode()
        response = client.post(url, follow=True)
        assert "“Year 3 Oak” still has 2 pupils" in response.content.decode()
        assert Group.objects.filter(pk=people.class_a.pk).exists()
        assert not AuditEntry.objects.exists()

    def test_a_class_whose_pupils_have_all_left_can_be_deleted(self, client, people):
        GroupMembership.objects.filter(group=people.class_a, role="pupil").update(
            end_date=people.school_a.local_today()
        )
        client.force_login(people.admin)
        client.post(reverse("group_delete", args=[people.class_a.pk]))
        assert not Group.objects.filter(pk=people.class_a.pk).exists()

    def test_an_mis_managed_class_cannot_be_deleted_and_the_page_says_why(self, client, people):
        empty = Group.objects.create(
            school=people.school_a, name="6P", year_group="Y6", mis_id="RG-6P", mis_managed=True
        )
        client.force_login(people.admin)
        url = reverse("group_delete", args=[empty.pk])
        assert "The nightly sync owns its name and its members" in client.get(url).content.decode()
        client.post(url)
        assert Group.objects.filter(pk=empty.pk).exists()

    def test_a_post_without_csrf_is_refused(self, people):
        empty = Group.objects.create(school=people.school_a, name="Year 6 Pine", year_group="Y6")
        response = csrf_client(people.admin).post(reverse("group_delete", args=[empty.pk]))
        assert response.status_code == 403
        assert Group.objects.filter(pk=empty.pk).exists()

    def test_school_b_admin_gets_a_404(self, client, people):
        empty = Group.objects.create(school=people.school_a, name="Year 6 Pine", year_group="Y6")
        client.force_login(people.admin_b)
        url = reverse("group_delete", args=[empty.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert Group.objects.filter(pk=empty.pk).exists()


class MembersTests:
    def test_it_lists_the_current_pupils_and_teachers(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("group_members", args=[people.class_a.pk]))
        content = response.content.decode()
        assert people.pupil.username in content and people.teacher.username in content

    def test_its_query_count_does_not_grow_with_the_class_size(self, client, people, django_assert_num_queries):
        client.force_login(people.admin)
        url = reverse("group_members", args=[people.class_a.pk])
        client.get(url)
        with django_assert_num_queries(4) as small:
            client.get(url)
        for n in range(10):
            pupil = make_user(people.school_a, f"a-more{n}", Role.PUPIL, year_group="Y3")
            GroupMembership.objects.create(
                group=people.class_a, user=pupil, role="pupil", start_date=people.school_a.local_today()
            )
        with django_assert_num_queries(len(small.captured_queries)):
            response = client.get(url)
        assert len(response.context["pupils"]) == 11

    def test_school_b_admin_gets_a_404(self, client, people):
        client.force_login(people.admin_b)
        assert client.get(reverse("group_members", args=[people.class_a.pk])).status_code == 404


class MoveMembersTests:
    def setup_target(self, people):
        return Group.objects.create(school=people.school_a, name="Year 4 Maple", year_group="Y4")

    def test_it_moves_the_ticked_pupils_keeping_history_in_one_batch(self, client, people):
        target = self.setup_target(people)
        client.force_login(people.admin)
        url = reverse("group_move", args=[people.class_a.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"pupils": [people.pupil.pk], "to": target.pk})
        assert response.status_code == 302
        assert current_pupils(target) == {people.pupil.pk}
        assert current_pupils(people.class_a) == set()
        assert GroupMembership.objects.filter(group=people.class_a, user=people.pupil, end_date__isnull=False).exists()
        people.pupil.refresh_from_db()
        assert people.pupil.year_group == "Y4"
        batch = AuditBatch.objects.get()
        assert batch.kind == "bulk" and batch.entries.get().action == "moved"

    def test_the_teachers_stay_where_they_are(self, client, people):
        target = self.setup_target(people)
        client.force_login(people.admin)
        client.post(reverse("group_move", args=[people.class_a.pk]), {"pupils": [people.pupil.pk], "to": target.pk})
        assert current_teachers(people.class_a) == {people.teacher.pk}

    def test_a_move_with_no_pupils_ticked_is_refused(self, client, people):
        target = self.setup_target(people)
        client.force_login(people.admin)
        response = client.post(reverse("group_move", args=[people.class_a.pk]), {"to": target.pk})
        assert "Choose at least one pupil to move" in response.content.decode()
        assert current_pupils(people.class_a) == {people.pupil.pk}

    def test_moving_into_another_schools_class_is_a_404(self, client, people):
        client.force_login(people.admin)
        response = client.post(
            reverse("group_move", args=[people.class_a.pk]), {"pupils": [people.pupil.pk], "to": people.class_b.pk}
        )
        assert response.status_code == 404
        assert current_pupils(people.class_b) == {people.pupil_b.pk}
        assert current_pupils(people.class_a) == {people.pupil.pk}

    def test_moving_another_schools_pupil_is_a_404(self, client, people):
        target = self.setup_target(people)
        client.force_login(people.admin)
        response = client.post(
            reverse("group_move", args=[people.class_a.pk]), {"pupils": [people.pupil_b.pk], "to": target.pk}
        )
        assert response.status_code == 404
        assert current_pupils(people.class_b) == {people.pupil_b.pk}

    def test_a_pupil_who_is_not_in_the_class_is_not_a_choice(self, client, people):
        target = self.setup_target(people)
        other = make_user(people.school_a, "a-other-pupil", Role.PUPIL, year_group="Y4")
        client.force_login(people.admin)
        response = client.post(reverse("group_move", args=[people.class_a.pk]), {"pupils": [other.pk], "to": target.pk})
        assert response.status_code == 200
        assert current_pupils(target) == set()

    def test_a_post_without_csrf_is_refused(self, people):
        target = self.setup_target(people)
        response = csrf_client(people.admin).post(
            reverse("group_move", args=[people.class_a.pk]), {"pupils": [people.pupil.pk], "to": target.pk}
        )
        assert response.status_code == 403
        assert current_pupils(target) == set()

    def test_school_b_admin_gets_a_404(self, client, people):
        client.force_login(people.admin_b)
        url = reverse("group_move", args=[people.class_a.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"pupils": [people.pupil.pk], "to": people.class_b.pk}).status_code == 404
        assert current_pupils(people.class_a) == {people.pupil.pk}


class TeacherTests:
    def test_it_adds_a_member_of_staff_as_a_teacher(self, client, people):
        client.force_login(people.admin)
        assert client.get(reverse("group_teachers", args=[people.class_a.pk])).status_code == 200
        response = client.post(reverse("group_teacher_add", args=[people.class_a.pk]), {"teacher": people.admin.pk})
        assert response.status_code == 302
        assert current_teachers(people.class_a) == {people.teacher.pk, people.admin.pk}
        assert AuditEntry.objects.get(action="teacher added").detail["teacher"] == people.admin.username

    def test_a_pupil_cannot_be_added_as_a_teacher(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_teacher_add", args=[people.class_a.pk]), {"teacher": people.pupil.pk})
        assert response.status_code == 200
        assert current_teachers(people.class_a) == {people.teacher.pk}

    def test_a_current_teacher_is_not_offered_again(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_teacher_add", args=[people.class_a.pk]), {"teacher": people.teacher.pk})
        assert response.status_code == 200
        assert GroupMembership.objects.filter(group=people.class_a, user=people.teacher).count() == 1

    def test_it_removes_a_teacher_after_a_confirmation_keeping_history(self, client, people):
        client.force_login(people.admin)
        url = reverse("group_teacher_remove", args=[people.class_a.pk, people.teacher.pk])
        assert "Remove teacher" in client.get(url).content.decode()
        assert current_teachers(people.class_a) == {people.teacher.pk}
        client.post(url)
        assert current_teachers(people.class_a) == set()
        assert GroupMembership.objects.filter(
            group=people.class_a, user=people.teacher, end_date__isnull=False
        ).exists()
        assert AuditEntry.objects.get(action="teacher removed").target_id == people.class_a.pk

    def test_removing_someone_who_is_not_a_teacher_of_the_class_is_refused(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_teacher_remove", args=[people.class_a.pk, people.admin.pk]), follow=True)
        assert "is not a teacher of “Year 3 Oak”" in response.content.decode()
        assert not AuditEntry.objects.exists()

    def test_posts_without_csrf_are_refused(self, people):
        client = csrf_client(people.admin)
        add = client.post(reverse("group_teacher_add", args=[people.class_a.pk]), {"teacher": people.admin.pk})
        remove = client.post(reverse("group_teacher_remove", args=[people.class_a.pk, people.teacher.pk]))
        assert (add.status_code, remove.status_code) == (403, 403)
        assert current_teachers(people.class_a) == {people.teacher.pk}

    def test_adding_needs_a_post(self, client, people):
        client.force_login(people.admin)
        assert client.get(reverse("group_teacher_add", args=[people.class_a.pk])).status_code == 405

    def test_school_b_admin_gets_a_404(self, client, people):
        client.force_login(people.admin_b)
        assert client.get(reverse("group_teachers", args=[people.class_a.pk])).status_code == 404
        assert (
            client.post(
                reverse("group_teacher_add", args=[people.class_a.pk]), {"teacher": people.admin_b.pk}
            ).status_code
            == 404
        )
        remove = reverse("group_teacher_remove", args=[people.class_a.pk, people.teacher.pk])
        assert client.get(remove).status_code == 404
        assert client.post(remove).status_code == 404
        assert current_teachers(people.class_a) == {people.teacher.pk}

    def test_school_b_staff_cannot_be_attached_to_a_school_a_class(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("group_teacher_add", args=[people.class_a.pk]), {"teacher": people.admin_b.pk})
        assert response.status_code == 404
        assert current_teachers(people.class_a) == {people.teacher.pk}
        own_class_foreign_teacher = reverse("group_teacher_remove", args=[people.class_a.pk, people.admin_b.pk])
        assert client.get(own_class_foreign_teacher).status_code == 404
