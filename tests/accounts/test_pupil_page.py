"""The account page (pupil or staff), editing it, and creating one account by hand."""

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, Group, GroupMembership, Role, User, upn_check_letter
from accounts.services.leavers import RefusedError
from accounts.services.staff import staff_update
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def upn(body="826200126001"):
    return upn_check_letter(body) + body


def pupil_data(people, **changes):
    data = {
        "first_name": "Amy", "last_name": "Tester", "group": people.class_a.pk, "year_group": "Y3",
        "theme": "improver", "admission_number": "", "upn": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class AccountPageTests:
    def test_a_pupils_page_summarises_their_details(self, client, people):
        people.pupil.upn = upn()
        people.pupil.admission_number = "A77"
        people.pupil.save()
        client.force_login(people.admin)
        response = client.get(reverse("account_detail", args=[people.pupil.pk]))
        content = response.content.decode()
        assert response.status_code == 200
        for text in ("Year 3 Oak", "Year 3", "Improver", "A77", people.pupil.upn, "follows the year group"):
            assert text in content

    def test_the_page_lists_recent_changes_to_the_account(self, client, people):
        client.force_login(people.admin)
        client.post(reverse("account_edit", args=[people.pupil.pk]), pupil_data(people, first_name="Ayesha"))
        response = client.get(reverse("account_detail", args=[people.pupil.pk]))
        assert [e.action for e in response.context["entries"]] == ["updated"]

    @pytest.mark.parametrize("name", ["account_detail", "account_edit"])
    def test_school_b_admin_gets_a_404(self, client, people, name):
        client.force_login(people.admin_b)
        assert client.get(reverse(name, args=[people.pupil.pk])).status_code == 404
        assert client.post(reverse(name, args=[people.pupil.pk]), pupil_data(people)).status_code == 404

    @pytest.mark.parametrize("name", ["account_detail", "account_edit", "account_new"])
    @pytest.mark.parametrize("persona", ["pupil", "teacher"])
    def test_pupils_and_teachers_get_a_404(self, client, people, name, persona):
        client.force_login(getattr(people, persona))
        args = [] if name == "account_new" else [people.pupil.pk]
        assert client.get(reverse(name, args=args)).status_code == 404

    def test_an_operator_account_is_not_reachable(self, client, people):
        client.force_login(people.admin)
        assert client.get(reverse("account_detail", args=[people.operator.pk])).status_code == 404


class PupilEditTests:
    def url(self, people):
        return reverse("account_edit", args=[people.pupil.pk])

    def test_names_admission_number_and_upn_are_saved_and_audited(self, client, people):
        client.force_login(people.admin)
        response = client.post(
            self.url(people), pupil_data(people, first_name="Ayesha", admission_number="A12", upn=upn().lower())
        )
        assert response.status_code == 302
        people.pupil.refresh_from_db()
        assert (people.pupil.first_name, people.pupil.admission_number, people.pupil.upn) == ("Ayesha", "A12", upn())
        entry = AuditEntry.objects.get(action="updated")
        assert entry.source == "pupil page"
        # Personal details are recorded as changed, without values that would outlive a deletion.
        assert entry.detail == {"first_name": "changed", "admission_number": "changed", "upn": "changed"}

    def test_a_wrong_upn_is_named_on_the_field(self, client, people):
        client.force_login(people.admin)
        wrong = "B" + upn()[1:] if upn()[0] != "B" else "C" + upn()[1:]
        response = client.post(self.url(people), pupil_data(people, upn=wrong))
        assert response.status_code == 200
        assert response.context["form"].errors["upn"] == ["This UPN's check letter is wrong; check it has been typed correctly"]
        assert b'href="#id_upn"' in response.content
        people.pupil.refresh_from_db()
        assert people.pupil.upn is None

    def test_a_upn_another_pupil_has_is_refused_naming_them(self, client, people):
        make_user(people.school_a, "a-other", Role.PUPIL, first_name="Olu", last_name="Other", upn=upn())
        client.force_login(people.admin)
        response = client.post(self.url(people), pupil_data(people, upn=upn()))
        assert response.context["form"].errors["upn"] == [f"UPN {upn()} already belongs to Olu Other"]

    def test_the_same_upn_in_another_school_is_fine(self, client, people):
        people.pupil_b.upn = upn()
        people.pupil_b.save()
        client.force_login(people.admin)
        assert client.post(self.url(people), pupil_data(people, upn=upn())).status_code == 302

    def test_a_taken_admission_number_is_refused_on_the_field(self, client, people):
        make_user(people.school_a, "a-other", Role.PUPIL, admission_number="A1")
        client.force_login(people.admin)
        response = client.post(self.url(people), pupil_data(people, admission_number="A1"))
        assert "already belongs to" in response.context["form"].errors["admission_number"][0]

    def test_changing_class_ends_the_old_membership_and_keeps_history(self, client, people):
        target = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        client.force_login(people.admin)
        client.post(self.url(people), pupil_data(people, group=target.pk, year_group="Y4"))
        memberships = GroupMembership.objects.filter(user=people.pupil)
        assert memberships.count() == 2
        assert memberships.get(end_date__isnull=True).group == target
        assert set(AuditEntry.objects.values_list("action", flat=True)) == {"moved", "updated"}

    def test_no_class_takes_the_pupil_out_of_their_class(self, client, people):
        client.force_login(people.admin)
        client.post(self.url(people), pupil_data(people, group=""))
        assert not GroupMembership.objects.filter(user=people.pupil, end_date__isnull=True).exists()
        assert AuditEntry.objects.filter(action="removed_from_class").exists()

    def test_a_pupil_out_of_class_is_not_put_back_into_their_old_class(self, client, people):
        client.force_login(people.admin)
        client.post(self.url(people), pupil_data(people, group=""))
        page = client.get(self.url(people))
        assert page.context["form"].initial["group"] is None
        assert b"No class" in client.get(reverse("account_detail", args=[people.pupil.pk])).content
        client.post(self.url(people), pupil_data(people, group="", first_name="Ayesha"))
        assert not GroupMembership.objects.filter(user=people.pupil, end_date__isnull=True).exists()

    def test_an_unpinned_theme_follows_the_year_group(self, client, people):
        client.force_login(people.admin)
        client.post(self.url(people), pupil_data(people, year_group="Y1", theme="improver"))
        people.pupil.refresh_from_db()
        assert (people.pupil.year_group, people.pupil.theme, people.pupil.theme_pinned) == ("Y1", "starter", False)

    def test_a_pinned_theme_stays_as_chosen_and_can_be_unpinned(self, client, people):
        client.force_login(people.admin)
        client.post(self.url(people), pupil_data(people, year_group="Y1", theme="early_years", theme_pinned="on"))
        people.pupil.refresh_from_db()
        assert (people.pupil.theme, people.pupil.theme_pinned) == ("early_years", True)
        client.post(self.url(people), pupil_data(people, year_group="Y1", theme="early_years"))
        people.pupil.refresh_from_db()
        assert (people.pupil.theme, people.pupil.theme_pinned) == ("starter", False)

    def test_another_schools_class_is_not_a_choice(self, client, people):
        client.force_login(people.admin)
        response = client.post(self.url(people), pupil_data(people, group=people.class_b.pk))
        assert response.context["form"].errors["group"]

    def test_a_surname_is_required(self, client, people):
        client.force_login(people.admin)
        response = client.post(self.url(people), pupil_data(people, last_name=""))
        assert b"Enter a surname" in response.content and b'href="#id_last_name"' in response.content

    def test_a_post_without_a_csrf_token_is_refused(self, people):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.admin)
        assert client.post(self.url(people), pupil_data(people, first_name="X")).status_code == 403


class StaffEditTests:
    def data(self, account, **changes):
        return {"first_name": account.first_name, "last_name": account.last_name, "email": "", "role": account.role,
                **changes}

    def test_only_a_superadmin_can_make_staff_admins(self, client, people):
        url = reverse("account_edit", args=[people.teacher.pk])
        client.force_login(people.admin)
        response = client.post(url, self.data(people.teacher, role="admin", first_name="Tess"))
        assert response.status_code == 302
        people.teacher.refresh_from_db()
        assert (people.teacher.first_name, people.teacher.role) == ("Tess", "staff")
        client.force_login(people.superadmin)
        client.post(url, self.data(people.teacher, role="admin"))
        people.teacher.refresh_from_db()
        assert people.teacher.role == "admin"
        assert AuditEntry.objects.filter(action="role_changed", detail__role=["staff", "admin"]).exists()

    def test_a_superadmin_cannot_change_their_own_role(self, client, people):
        client.force_login(people.superadmin)
        client.post(reverse("account_edit", args=[people.superadmin.pk]), self.data(people.superadmin, role="staff"))
        people.superadmin.refresh_from_db()
        assert people.superadmin.role == "superadmin"

    def test_another_superadmin_can_step_down_a_superadmin_but_nobody_changes_their_own_role(self, people):
        second = make_user(people.school_a, "a-second", Role.SUPERADMIN)
        staff_update(actor=second, account=people.superadmin, first_name="S", last_name="A", email="", role="staff")
        people.superadmin.refresh_from_db()
        assert people.superadmin.role == "staff"
        with pytest.raises(RefusedError, match="cannot change your own role"):
            staff_update(actor=second, account=second, first_name="S", last_name="B", email="", role="staff")


class NewAccountTests:
    URL = reverse("account_new")

    def test_a_pupil_gets_a_generated_username_and_password_shown_once(self, client, people):
        client.force_login(people.admin)
        response = client.post(self.URL, {"role": "pupil", "first_name": "Zoë", "last_name": "O'Brien",
                                          "group": people.class_a.pk, "upn": upn()})
        assert response.status_code == 302 and "/toolbox/credentials/" in response.url
        (row,) = client.get(response.url).context["sheet"].rows
        pupil = User.objects.get(username="zoeo")
        assert row.username == "zoeo" and row.group == "Year 3 Oak"
        assert check_password(row.password, pupil.password)
        assert (pupil.school, pupil.year_group, pupil.theme, pupil.upn) == (people.school_a, "Y3", "improver", upn())
        assert GroupMembership.objects.get(user=pupil).group == people.class_a
        entry = AuditEntry.objects.get(action="created")
        assert entry.source == "new account" and row.password not in str(entry.detail)

    def test_a_typed_username_and_password_are_used(self, client, people):
        client.force_login(people.admin)
        client.post(self.URL, {"role": "staff", "first_name": "Tom", "last_name": "Reid", "username": "mr.reid",
                               "password": "pencil-case", "email": "t@example.org"})
        staff = User.objects.get(username="mr.reid")
        assert staff.role == "staff" and staff.email == "t@example.org" and staff.check_password("pencil-case")

    def test_a_taken_username_is_refused_on_the_field(self, client, people):
        client.force_login(people.admin)
        response = client.post(self.URL, {"role": "staff", "first_name": "A", "last_name": "B", "username": "B-ADMIN"})
        assert response.context["form"].errors["username"] == ["The username B-ADMIN is taken. Choose another or leave it blank"]

    def test_a_pupil_needs_a_year_group_or_a_class_with_one(self, client, people):
        client.force_login(people.admin)
        response = client.post(self.URL, {"role": "pupil", "first_name": "A", "last_name": "B"})
        assert response.context["form"].errors["year_group"]
        assert not User.objects.filter(first_name="A", last_name="B").exists()

    def test_an_admin_cannot_create_an_admin_but_a_superadmin_can(self, client, people):
        data = {"role": "admin", "first_name": "New", "last_name": "Admin"}
        client.force_login(people.admin)
        response = client.post(self.URL, data)
        assert response.status_code == 200 and response.context["form"].errors["role"]
        client.force_login(people.superadmin)
        assert client.post(self.URL, data).status_code == 302
        assert User.objects.get(first_name="New", last_name="Admin").role == "admin"

    def test_another_schools_class_is_not_a_choice(self, client, people):
        client.force_login(people.admin)
        response = client.post(self.URL, {"role": "pupil", "first_name": "A", "last_name": "B", "group": people.class_b.pk})
        assert response.context["form"].errors["group"]

    def test_a_post_without_a_csrf_token_is_refused(self, people):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.admin)
        assert client.post(self.URL, {"role": "staff", "first_name": "A", "last_name": "B"}).status_code == 403
        assert not User.objects.filter(first_name="A", last_name="B").exists()


class AccountPageQueryCountTests:
    def test_the_account_page_costs_the_same_queries_however_long_its_history(self, client, people):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(people.admin)
        counts = []
        for first_name in ("Ayesha", "Bea", "Cai", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou"):
            client.post(reverse("account_edit", args=[people.pupil.pk]), pupil_data(people, first_name=first_name))
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("account_detail", args=[people.pupil.pk]))
            counts.append(len(queries))
        assert len(response.context["entries"]) == 10
        assert len(set(counts)) == 1


class UniquenessRaceTests:
    def test_a_upn_taken_between_the_form_check_and_the_save_is_refused_not_a_crash(self, people):
        from accounts.services.pupils import pupil_update

        body = "826200126001"
        taken = upn_check_letter(body) + body
        make_user(people.school_a, "a-other", Role.PUPIL, upn=taken)
        with pytest.raises(RefusedError, match="a moment ago"):
            pupil_update(
                actor=people.admin, pupil=people.pupil, first_name="A", last_name="B", group=people.class_a,
                year_group="Y3", theme="improver", theme_pinned=False, admission_number=None, upn=taken,
                today=people.school_a.local_today(),
            )
        people.pupil.refresh_from_db()
        assert people.pupil.upn is None

    def test_a_username_taken_between_the_form_check_and_the_save_is_refused(self, people):
        from accounts.services.accounts import NewAccount
        from accounts.services.staff import account_create_by_hand

        with pytest.raises(RefusedError, match="a moment ago"):
            account_create_by_hand(
                actor=people.admin, new=NewAccount(forename="A", surname="B", role="staff", username="A-PUPIL"),
                today=people.school_a.local_today(),
            )
        assert not AuditEntry.objects.exists()
