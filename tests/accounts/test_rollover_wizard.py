"""The rollover wizard for schools without MIS integration: task list, each step's preview and
apply, the state kept in the database, refusals, and the whole wizard on the demo school.

For an MIS-integrated school the wizard explains that the nightly sync does the rollover and
offers none of its steps.
"""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from accounts.models import (
    AuditBatch,
    AuditEntry,
    Group,
    GroupMembership,
    Role,
    RolloverRun,
    School,
    Status,
    User,
    academic_year_for,
)
from accounts.services.leavers import RefusedError
from accounts.services.rollover import (
    ClassChange,
    class_plan_problems,
    rollover_classes_apply,
    rollover_leavers_apply,
    suggest_class_name,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def class_form_data(response):
    """The hidden inputs the classes check page carries to the apply POST."""
    form = response.context["form"]
    data = {}
    for field in form:
        value = field.value()
        if value:
            data[field.html_name] = "on" if value is True else value
    return data


class Y6:
    """School A with a Year 6 class of two pupils and a Year 5 class of one, on top of the personas."""

    def __init__(self, people):
        school = people.school_a
        today = school.local_today()
        self.y6 = Group.objects.create(school=school, name="Year 6 Pine", year_group="Y6")
        self.y5 = Group.objects.create(school=school, name="Year 5 Willow", year_group="Y5")
        self.amy = make_user(school, "a-amy", Role.PUPIL, year_group="Y6", theme="improver")
        self.bo = make_user(school, "a-bo", Role.PUPIL, year_group="Y6", theme="improver")
        self.cal = make_user(school, "a-cal", Role.PUPIL, year_group="Y5", theme="improver")
        for pupil, group in ((self.amy, self.y6), (self.bo, self.y6), (self.cal, self.y5)):
            GroupMembership.objects.create(group=group, user=pupil, role="pupil", start_date=today)


@pytest.fixture
def y6(people):
    return Y6(people)


class SuggestedNameTests:
    @pytest.mark.parametrize(
        "name, new_year_group, expected",
        [
            ("Year 5 Oak", "Y6", "Year 6 Oak"),
            ("Reception Robins", "Y1", "Year 1 Robins"),
            ("Nursery Bumblebees", "R", "Reception Bumblebees"),
            ("Nursery Ladybirds", "N2", "Nursery Ladybirds"),
            ("Nursery 1 Ladybirds", "N2", "Nursery 2 Ladybirds"),
            ("3 Oak", "Y4", "4 Oak"),
            ("Y3 Hazel", "Y4", "Y4 Hazel"),
            ("Oak Class", "Y4", "Oak Class"),
            ("Year 6 Pine", None, "Year 6 Pine"),
        ],
    )
    def test_it_moves_the_year_in_the_name_up_in_the_schools_own_style(self, name, new_year_group, expected):
        assert suggest_class_name(name, new_year_group) == expected


def change(pk, name, new_name, year_group="Y5", new_year_group="Y6", delete=False, pupils=1):
    return ClassChange(
        group_id=pk,
        name=name,
        year_group=year_group,
        pupils=pupils,
        mis_managed=False,
        new_name=new_name,
        new_year_group=new_year_group,
        delete=delete,
    )


class ClassPlanTests:
    def test_oldest_first_renames_need_no_free_name_in_between(self):
        plan = [change(1, "Year 6 Oak", "", "Y6", "Y6", delete=True, pupils=0), change(2, "Year 5 Oak", "Year 6 Oak")]
        assert class_plan_problems(plan) == []

    def test_two_classes_ending_with_the_same_name_are_named_in_the_message(self):
        plan = [change(1, "Year 5 Oak", "Year 6 Oak"), change(2, "Year 5 Ash", "year 6 oak")]
        assert class_plan_problems(plan) == [
            "“Year 5 Oak” and “Year 5 Ash” would both be called “year 6 oak”. Give one of them a different name."
        ]

    def test_a_rename_into_a_name_another_class_still_holds_is_refused(self):
        plan = [change(1, "Year 6 Oak", "Year 6 Oak", "Y6", "Y6"), change(2, "Year 5 Oak", "Year 6 Oak")]
        problems = class_plan_problems(plan)
        assert len(problems) == 1 and "“Year 6 Oak” and “Year 5 Oak” would both be called" in problems[0]

    def test_a_swap_that_would_collide_mid_way_is_refused(self):
        plan = [change(1, "Year 5 Oak", "Year 5 Ash", "Y5", "Y5"), change(2, "Year 5 Ash", "Year 5 Oak", "Y5", "Y5")]
        problems = class_plan_problems(plan)
        assert problems and "while “Year 5 Oak” still has that name" in problems[0]

    def test_a_class_with_pupils_cannot_be_deleted(self):
        assert class_plan_problems([change(1, "Year 6 Oak", "", "Y6", "Y6", delete=True, pupils=3)]) == [
            "“Year 6 Oak” still has 3 pupils, so it cannot be deleted."
        ]


class TaskListTests:
    def test_a_new_run_shows_step_one_to_start_and_the_rest_waiting(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("wizard"))
        assert response.status_code == 200
        statuses = [t["status"] for t in response.context["tasks"]]
        assert statuses == ["not started", "cannot start yet", "cannot start yet"]
        content = response.content.decode()
        assert reverse("wizard_leavers") in content
        assert reverse("wizard_classes") not in content
        assert not RolloverRun.objects.exists()  # GET never changes anything

    def test_step_four_links_to_the_import(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("wizard"))
        assert f'<a href="{reverse("import_upload")}">4. Import the new intake</a>' in response.content.decode()

    def test_a_completed_step_shows_as_completed_to_another_admin_after_logging_out(self, client, people, y6):
        client.force_login(people.admin)
        client.post(reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk, y6.bo.pk], "leave_date": "23/07/2026"})
        client.logout()
        client.force_login(people.superadmin)
        response = client.get(reverse("wizard"))
        assert [t["status"] for t in response.context["tasks"]] == ["completed", "not started", "cannot start yet"]
        assert "Completed" in response.content.decode()

    def test_later_steps_cannot_be_opened_before_earlier_ones(self, client, people):
        client.force_login(people.admin)
        assert client.get(reverse("wizard_classes")).url == reverse("wizard")
        assert client.get(reverse("wizard_year_groups")).url == reverse("wizard")
        client.post(reverse("wizard_year_groups_apply"))
        people.pupil.refresh_from_db()
        assert people.pupil.year_group == "Y3"

    def test_teachers_and_pupils_cannot_open_it(self, client, people):
        for persona in (people.teacher, people.pupil):
            client.force_login(persona)
            assert client.get(reverse("wizard")).status_code == 404
            assert client.post(reverse("wizard_leavers_apply"), {"leave_date": "23/07/2026"}).status_code == 404

    def test_each_school_has_its_own_progress(self, client, people, y6):
        client.force_login(people.admin)
        client.post(reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"})
        client.force_login(people.admin_b)
        response = client.get(reverse("wizard"))
        assert response.context["tasks"][0]["status"] == "not started"


class LeaversStepTests:
    def test_it_preselects_everyone_in_year_6(self, client, people, y6):
        client.force_login(people.admin)
        response = client.get(reverse("wizard_leavers"))
        assert set(response.context["form"]["pupils"].value()) == {y6.amy.pk, y6.bo.pk}
        content = response.content.decode()
        assert f'value="{y6.amy.pk}"' in content and f'value="{y6.cal.pk}"' not in content

    def test_its_query_count_does_not_grow_with_the_year_group(self, client, people, y6, django_assert_num_queries):
        client.force_login(people.admin)
        client.get(reverse("wizard_leavers"))
        with django_assert_num_queries(5) as small:
            client.get(reverse("wizard_leavers"))
        for n in range(10):
            pupil = make_user(people.school_a, f"a-y6-{n}", Role.PUPIL, year_group="Y6")
            GroupMembership.objects.create(
                group=y6.y6, user=pupil, role="pupil", start_date=people.school_a.local_today()
            )
        with django_assert_num_queries(len(small.captured_queries)):
            response = client.get(reverse("wizard_leavers"))
        assert len(response.context["candidates"]) == 12

    def test_an_infant_school_preselects_year_2(self, client, people, y6):
        School.objects.filter(pk=people.school_a.pk).update(phase="infant")
        y2 = make_user(people.school_a, "a-dee", Role.PUPIL, year_group="Y2", theme="starter")
        client.force_login(people.admin)
        response = client.get(reverse("wizard_leavers"))
        assert set(response.context["form"]["pupils"].value()) == {y2.pk}
        assert "Pupils in Year 2" in response.content.decode()

    def test_the_check_page_lists_exactly_who_leaves_and_who_stays_and_changes_nothing(self, client, people, y6):
        client.force_login(people.admin)
        response = client.get(reverse("wizard_leavers_check"), {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"})
        assert response.status_code == 200
        assert [p.pk for p in response.context["leaving"]] == [y6.amy.pk]
        assert [p.pk for p in response.context["staying"]] == [y6.bo.pk]
        assert "23 July 2026" in response.content.decode()
        assert User.objects.filter(status=Status.LEAVER).count() == 0

    def test_the_check_page_asks_for_a_valid_leave_date(self, client, people, y6):
        client.force_login(people.admin)
        response = client.get(reverse("wizard_leavers_check"), {"pupils": [y6.amy.pk], "leave_date": "31/02/2026"})
        assert "Enter the leave date as day/month/year" in response.content.decode()
        assert 'class="error-summary"' in response.content.decode()

    def test_applying_makes_the_ticked_pupils_leavers_in_one_wizard_batch(self, client, people, y6):
        client.force_login(people.admin)
        response = client.post(reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"})
        assert response.url == reverse("wizard")
        y6.amy.refresh_from_db()
        y6.bo.refresh_from_db()
        assert (y6.amy.status, y6.amy.is_active, y6.amy.left_via, y6.amy.leave_date) == (
            "leaver",
            False,
            "wizard",
            date(2026, 7, 23),
        )
        assert y6.bo.status == "active"
        assert not GroupMembership.objects.filter(user=y6.amy, end_date__isnull=True).exists()
        batch = AuditBatch.objects.get()
        assert batch.kind == "wizard" and batch.actor == people.admin
        assert [e.action for e in batch.entries.all()] == ["left"]
        run = RolloverRun.objects.get(school=people.school_a)
        assert run.leavers_batch == batch and run.leavers_done_at is not None
        assert run.academic_year == academic_year_for(people.school_a.local_today())

    def test_re_applying_a_completed_step_is_refused(self, client, people, y6):
        client.force_login(people.admin)
        client.post(reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"})
        response = client.post(
            reverse("wizard_leavers_apply"), {"pupils": [y6.bo.pk], "leave_date": "23/07/2026"}, follow=True
        )
        assert "already completed" in response.content.decode()
        y6.bo.refresh_from_db()
        assert y6.bo.status == "active"
        assert AuditBatch.objects.count() == 1
        assert client.get(reverse("wizard_leavers")).url == reverse("wizard")

    def test_a_pupil_outside_the_leavers_year_is_refused(self, people, y6):
        with pytest.raises(RefusedError):
            rollover_leavers_apply(
                school=people.school_a, actor=people.admin, account_ids={y6.cal.pk}, leave_date=date(2026, 7, 23)
            )
        y6.cal.refresh_from_db()
        assert y6.cal.status == "active"
        assert not RolloverRun.objects.filter(leavers_done_at__isnull=False).exists()

    def test_it_needs_a_post_with_csrf(self, client, people, y6):
        client.force_login(people.admin)
        assert client.get(reverse("wizard_leavers_apply")).status_code == 405
        response = csrf_client(people.admin).post(
            reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"}
        )
        assert response.status_code == 403
        y6.amy.refresh_from_db()
        assert y6.amy.status == "active"

    def test_school_b_admin_gets_a_404_for_school_a_pupils(self, client, people, y6):
        client.force_login(people.admin_b)
        data = {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"}
        assert client.get(reverse("wizard_leavers_check"), data).status_code == 404
        assert client.post(reverse("wizard_leavers_apply"), data).status_code == 404
        y6.amy.refresh_from_db()
        assert y6.amy.status == "active"
        assert not RolloverRun.objects.exists()


class ClassesStepTests:
    def leavers_done(self, client, people, y6):
        client.force_login(people.admin)
        client.post(reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk, y6.bo.pk], "leave_date": "23/07/2026"})

    def test_the_preview_ticks_emptied_classes_and_suggests_names_oldest_first(self, client, people, y6):
        self.leavers_done(client, people, y6)
        response = client.get(reverse("wizard_classes"))
        rows = [(c.name, c.delete, c.new_name) for c, _, _ in response.context["form"].rows()]
        assert rows == [
            ("Year 6 Pine", True, "Year 6 Pine"),
            ("Year 5 Willow", False, "Year 6 Willow"),
            ("Year 3 Oak", False, "Year 4 Oak"),
        ]

    def test_applying_deletes_renames_and_moves_classes_up_in_one_batch(self, client, people, y6):
        self.leavers_done(client, people, y6)
        check = client.get(reverse("wizard_classes_check"), class_form_data(client.get(reverse("wizard_classes"))))
        assert [c.name for c in check.context["deleted"]] == ["Year 6 Pine"]
        assert [(c.name, c.new_name) for c in check.context["renamed"]] == [
            ("Year 5 Willow", "Year 6 Willow"),
            ("Year 3 Oak", "Year 4 Oak"),
        ]
        assert Group.objects.filter(name="Year 6 Pine").exists()  # the check page changes nothing
        response = client.post(reverse("wizard_classes_apply"), class_form_data(check))
        assert response.url == reverse("wizard")
        assert set(Group.objects.filter(school=people.school_a).values_list("name", "year_group")) == {
            ("Year 6 Willow", "Y6"),
            ("Year 4 Oak", "Y4"),
        }
        batch = AuditBatch.objects.get(label__endswith="classes")
        assert batch.kind == "wizard"
        assert sorted(batch.entries.values_list("action", flat=True)) == [
            "group deleted",
            "group renamed",
            "group renamed",
        ]
        assert RolloverRun.objects.get().classes_batch == batch
        # Pupils stay in their (renamed) classes; their own year groups wait for step 3.
        assert GroupMembership.objects.get(user=y6.cal, end_date__isnull=True).group.name == "Year 6 Willow"
        y6.cal.refresh_from_db()
        assert y6.cal.year_group == "Y5"

    def test_an_edited_name_is_used(self, client, people, y6):
        self.leavers_done(client, people, y6)
        data = class_form_data(client.get(reverse("wizard_classes")))
        data[f"name_{y6.y5.pk}"] = "Year 6 Sequoia"
        client.post(reverse("wizard_classes_apply"), data)
        y6.y5.refresh_from_db()
        assert (y6.y5.name, y6.y5.year_group) == ("Year 6 Sequoia", "Y6")

    def test_a_clash_is_shown_on_the_check_page_naming_both_classes(self, client, people, y6):
        self.leavers_done(client, people, y6)
        data = class_form_data(client.get(reverse("wizard_classes")))
        data[f"name_{people.class_a.pk}"] = "year 6 willow"
        response = client.get(reverse("wizard_classes_check"), data)
        content = response.content.decode()
        assert 'class="error-summary"' in content
        assert "“Year 5 Willow” and “Year 3 Oak” would both be called “year 6 willow”" in content
        client.post(reverse("wizard_classes_apply"), data)
        assert Group.objects.filter(name="Year 5 Willow").exists()
        assert not RolloverRun.objects.filter(classes_done_at__isnull=False).exists()

    def test_keeping_a_class_with_a_name_the_next_class_wants_is_refused(self, client, people, y6):
        self.leavers_done(client, people, y6)
        data = class_form_data(client.get(reverse("wizard_classes")))
        del data[f"delete_{y6.y6.pk}"]
        response = client.get(reverse("wizard_classes_check"), data)
        assert "“Year 6 Pine” and" not in response.content.decode()
        data[f"name_{y6.y5.pk}"] = "Year 6 Pine"
        response = client.get(reverse("wizard_classes_check"), data)
        assert "would both be called “Year 6 Pine”" in response.content.decode()

    def test_a_class_that_gained_pupils_since_the_preview_is_not_deleted(self, people, y6, client):
        self.leavers_done(client, people, y6)
        today = people.school_a.local_today()
        GroupMembership.objects.filter(group=people.class_a, user=people.pupil).update(end_date=today)
        GroupMembership.objects.create(group=y6.y6, user=people.pupil, role="pupil", start_date=today)
        with pytest.raises(RefusedError, match="still has 1 pupil,"):
            rollover_classes_apply(school=people.school_a, actor=people.admin, names={}, delete_ids={y6.y6.pk})
        assert Group.objects.filter(pk=y6.y6.pk).exists()

    def test_an_mis_managed_class_is_left_as_it_is(self, client, people, y6):
        Group.objects.filter(pk=y6.y5.pk).update(mis_id="5W", mis_managed=True)
        self.leavers_done(client, people, y6)
        data = class_form_data(client.get(reverse("wizard_classes")))
        assert f"name_{y6.y5.pk}" not in data
        client.post(reverse("wizard_classes_apply"), data | {f"name_{y6.y5.pk}": "Renamed"})
        y6.y5.refresh_from_db()
        assert (y6.y5.name, y6.y5.year_group) == ("Year 5 Willow", "Y5")

    def test_it_needs_a_post_with_csrf_and_cannot_be_applied_twice(self, client, people, y6):
        self.leavers_done(client, people, y6)
        data = class_form_data(client.get(reverse("wizard_classes")))
        assert csrf_client(people.admin).post(reverse("wizard_classes_apply"), data).status_code == 403
        assert Group.objects.filter(name="Year 5 Willow").exists()
        client.post(reverse("wizard_classes_apply"), data)
        again = client.post(reverse("wizard_classes_apply"), data, follow=True)
        assert "already completed" in again.content.decode()
        assert AuditBatch.objects.filter(label__endswith="classes").count() == 1

    def test_school_b_admin_gets_a_404_for_school_a_classes(self, client, people, y6):
        client.force_login(people.admin_b)
        client.post(reverse("wizard_leavers_apply"), {"leave_date": "23/07/2026"})  # School B's own step 1
        assert client.get(reverse("wizard_classes_check"), {f"name_{y6.y5.pk}": "Mine"}).status_code == 404
        assert client.post(reverse("wizard_classes_apply"), {f"delete_{y6.y6.pk}": "on"}).status_code == 404
        assert Group.objects.filter(pk=y6.y6.pk).exists()


class YearGroupsStepTests:
    def first_two_steps(self, client, people, y6, leaving):
        client.force_login(people.admin)
        client.post(reverse("wizard_leavers_apply"), {"pupils": leaving, "leave_date": "23/07/2026"})
        data = class_form_data(client.get(reverse("wizard_classes")))
        client.post(reverse("wizard_classes_apply"), data)

    def test_the_preview_counts_each_year_groups_move_and_changes_nothing(self, client, people, y6):
        self.first_two_steps(client, people, y6, [y6.amy.pk, y6.bo.pk])
        response = client.get(reverse("wizard_year_groups"))
        assert response.context["rows"] == [
            {"year_group": "Year 5", "new_year_group": "Year 6", "pupils": 1, "pinned": 0},
            {"year_group": "Year 3", "new_year_group": "Year 4", "pupils": 1, "pinned": 0},
        ]
        y6.cal.refresh_from_db()
        assert y6.cal.year_group == "Y5"

    def test_pupils_go_up_a_year_with_unpinned_themes_following_and_leavers_untouched(self, client, people, y6):
        reception = make_user(people.school_a, "a-eli", Role.PUPIL, year_group="R", theme="early_years")
        pinned = make_user(
            people.school_a, "a-fay", Role.PUPIL, year_group="Y2", theme="early_years", theme_pinned=True
        )
        self.first_two_steps(client, people, y6, [y6.amy.pk])
        response = client.post(reverse("wizard_year_groups_apply"))
        assert response.url == reverse("wizard")
        found = dict(User.objects.filter(role=Role.PUPIL, school=people.school_a).values_list("username", "year_group"))
        assert found == {"a-pupil": "Y4", "a-cal": "Y6", "a-eli": "Y1", "a-fay": "Y3", "a-amy": "Y6", "a-bo": "Y6"}
        reception.refresh_from_db()
        pinned.refresh_from_db()
        assert reception.theme == "starter"
        assert pinned.theme == "early_years"
        amy = User.objects.get(pk=y6.amy.pk)
        assert amy.status == "leaver"
        batch = AuditBatch.objects.get(label__endswith="year groups")
        assert batch.entries.count() == 4
        assert not batch.entries.filter(target_id__in=[y6.amy.pk, y6.bo.pk]).exists()
        run = RolloverRun.objects.get()
        assert run.year_groups_batch == batch

    def test_it_needs_a_post_with_csrf_and_cannot_be_applied_twice(self, client, people, y6):
        self.first_two_steps(client, people, y6, [y6.amy.pk, y6.bo.pk])
        assert csrf_client(people.admin).post(reverse("wizard_year_groups_apply")).status_code == 403
        client.post(reverse("wizard_year_groups_apply"))
        client.post(reverse("wizard_year_groups_apply"))
        people.pupil.refresh_from_db()
        assert people.pupil.year_group == "Y4"

    def test_school_b_admins_wizard_does_not_touch_school_a(self, client, people, y6):
        client.force_login(people.admin_b)
        client.post(reverse("wizard_leavers_apply"), {"leave_date": "23/07/2026"})
        client.post(reverse("wizard_classes_apply"), {f"name_{people.class_b.pk}": "Year 4 Ash"})
        client.post(reverse("wizard_year_groups_apply"))
        people.pupil_b.refresh_from_db()
        people.pupil.refresh_from_db()
        assert (people.pupil_b.year_group, people.pupil.year_group) == ("Y4", "Y3")
        assert Group.objects.get(pk=people.class_b.pk).name == "Year 4 Ash"
        assert Group.objects.get(pk=people.class_a.pk).name == "Year 3 Oak"


class DemoSchoolWizardTests:
    def test_the_whole_wizard_on_the_demo_school(self, client):
        call_command("seed_demo", stdout=io.StringIO())
        school = School.objects.get(slug="demo")
        admin = User.objects.get(username="demo-admin")
        year6 = set(User.objects.filter(school=school, role=Role.PUPIL, year_group="Y6").values_list("pk", flat=True))
        # The demo has a few leavers from earlier in the year; the wizard never touches them.
        before = dict(
            User.objects.filter(school=school, role=Role.PUPIL, status=Status.ACTIVE).values_list("pk", "year_group")
        )
        client.force_login(admin)

        # Step 1: every Year 6 pupil is preselected; apply via the check page's form.
        form = client.get(reverse("wizard_leavers")).context["form"]
        assert set(form["pupils"].value()) == year6 and len(year6) == 52
        check = client.get(reverse("wizard_leavers_check"), {"pupils": sorted(year6), "leave_date": "23/07/2026"})
        assert len(check.context["leaving"]) == 52
        client.post(reverse("wizard_leavers_apply"), {"pupils": sorted(year6), "leave_date": "23/07/2026"})
        assert (
            set(
                User.objects.filter(school=school, status=Status.LEAVER, left_via="wizard").values_list("pk", flat=True)
            )
            == year6
        )

        # Step 2: the emptied Year 6 classes go; the rest are renamed oldest year first, no collisions.
        data = class_form_data(client.get(reverse("wizard_classes")))
        check = client.get(reverse("wizard_classes_check"), data)
        assert check.status_code == 200 and "error-summary" not in check.content.decode()
        assert [c.name for c in check.context["deleted"]] == ["Year 6 Pine", "Year 6 Yew"]
        assert [c.name for c in check.context["renamed"]][:2] == ["Year 5 Cedar", "Year 5 Willow"]
        client.post(reverse("wizard_classes_apply"), class_form_data(check))
        assert dict(Group.objects.filter(school=school).values_list("name", "year_group")) == {
            "Year 6 Willow": "Y6",
            "Year 6 Cedar": "Y6",
            "Year 5 Maple": "Y5",
            "Year 5 Rowan": "Y5",
            "Year 4 Hazel": "Y4",
            "Year 4 Holly": "Y4",
            "Year 3 Birch": "Y3",
            "Year 3 Elm": "Y3",
            "Year 2 Oak": "Y2",
            "Year 2 Ash": "Y2",
            "Year 1 Robins": "Y1",
            "Year 1 Wrens": "Y1",
            "Reception Bumblebees": "R",
            "Nursery Ladybirds": "N2",
        }
        renames = AuditEntry.objects.filter(batch__label__endswith="classes", action="group renamed").order_by("pk")
        order = [e.detail["year_group_from"] for e in renames]
        assert order == sorted(order, key=["N1", "N2", "R", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6"].index, reverse=True)

        # Step 3: year groups and unpinned themes move up; leavers are untouched.
        client.post(reverse("wizard_year_groups_apply"))
        after = dict(User.objects.filter(school=school, role=Role.PUPIL).values_list("pk", "year_group"))
        expected = {"N1": "N2", "N2": "R", "R": "Y1", "Y1": "Y2", "Y2": "Y3", "Y3": "Y4", "Y4": "Y5", "Y5": "Y6"}
        for pk, year_group in before.items():
            assert after[pk] == (year_group if pk in year6 else expected[year_group])
        themes = dict(
            User.objects.filter(school=school, role=Role.PUPIL, status=Status.ACTIVE)
            .values_list("year_group", "theme")
            .distinct()
        )
        assert themes == {
            "N2": "early_years",
            "R": "early_years",
            "Y1": "starter",
            "Y2": "starter",
            "Y3": "improver",
            "Y4": "improver",
            "Y5": "improver",
            "Y6": "improver",
        }
        # Pupils are still in their classes, and each class's year group matches its pupils'.
        mismatched = GroupMembership.objects.filter(group__school=school, role="pupil", end_date__isnull=True).exclude(
            user__year_group=F("group__year_group")
        )
        assert not mismatched.exists()

        run = RolloverRun.objects.get(school=school)
        batches = [run.leavers_batch, run.classes_batch, run.year_groups_batch]
        assert all(b is not None and b.kind == "wizard" for b in batches) and len(set(batches)) == 3
        tasks = client.get(reverse("wizard")).context["tasks"]
        assert [t["status"] for t in tasks] == ["completed", "completed", "completed"]


class MisIntegratedSchoolTests:
    @pytest.fixture
    def integrated(self, people):
        from misync.models import MisConnection

        return MisConnection.objects.create(school=people.school_a, connector="xporter", enabled=True)

    def test_the_wizard_explains_that_the_nightly_sync_does_it(self, client, people, integrated):
        client.force_login(people.admin)
        response = client.get(reverse("wizard"))
        assert response.status_code == 200
        assert "nightly sync" in response.content.decode()
        assert reverse("wizard_leavers") not in response.content.decode()

    @pytest.mark.parametrize(
        "name", ["wizard_leavers", "wizard_leavers_check", "wizard_classes", "wizard_classes_check", "wizard_year_groups"]
    )
    def test_its_steps_are_not_offered(self, client, people, integrated, name):
        client.force_login(people.admin)
        assert client.get(reverse(name)).status_code == 404

    def test_a_step_cannot_be_applied_and_nothing_changes(self, client, people, integrated, y6):
        client.force_login(people.admin)
        response = client.post(reverse("wizard_leavers_apply"), {"pupils": [y6.amy.pk], "leave_date": "23/07/2026"})
        assert response.status_code == 404
        assert User.objects.get(pk=y6.amy.pk).status == "active"

    def test_a_disabled_connection_leaves_the_wizard_available(self, client, people, integrated):
        integrated.enabled = False
        integrated.save()
        client.force_login(people.admin)
        assert client.get(reverse("wizard_leavers")).status_code == 200
