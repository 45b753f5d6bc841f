"""The foundation: roles' landing pages, tenant scoping, models' absolute rules."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Group, GroupMembership, Role, School, User, upn_check_letter, validate_upn

pytestmark = pytest.mark.django_db


def valid_upn(body="82620012600"):
    body = (body + "1")[:12]
    return upn_check_letter(body) + body


class LandingPageTests:
    def test_anonymous_visitors_are_sent_to_the_login_page(self, client):
        response = client.get(reverse("homepage"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_the_login_page_renders(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert b"Sign in" in response.content

    def test_a_pupil_lands_on_a_homepage_in_their_theme(self, client, people):
        client.force_login(people.pupil)
        response = client.get(reverse("home"), follow=True)
        assert response.status_code == 200
        assert b"theme-improver" in response.content
        assert b"Year 3 Oak" in response.content
        assert b"Admin toolbox" not in response.content

    def test_an_early_years_pupil_gets_the_early_years_theme(self, client, people):
        people.pupil.year_group = "R"
        people.pupil.save()
        client.force_login(people.pupil)
        response = client.get(reverse("homepage"))
        assert b"theme-early_years" in response.content
        assert b"css/theme-early_years.css" in response.content

    def test_a_pinned_theme_stays_whatever_the_year_group(self, client, people):
        people.pupil.year_group = "R"
        people.pupil.theme = "improver"
        people.pupil.theme_pinned = True
        people.pupil.save()
        client.force_login(people.pupil)
        assert b"theme-improver" in client.get(reverse("homepage")).content

    def test_a_teacher_lands_on_their_homepage_without_the_toolbox(self, client, people):
        client.force_login(people.teacher)
        response = client.get(reverse("home"), follow=True)
        assert response.status_code == 200
        assert b"Year 3 Oak" in response.content
        assert client.get(reverse("toolbox")).status_code == 404

    @pytest.mark.parametrize("persona", ["admin", "superadmin"])
    def test_admins_see_the_toolbox_with_their_schools_counts(self, client, people, persona):
        client.force_login(getattr(people, persona))
        response = client.get(reverse("toolbox"))
        assert response.status_code == 200
        counts = response.context["counts"]
        assert (counts.active_pupils, counts.staff, counts.groups, counts.leavers) == (1, 3, 1, 0)

    def test_a_pupil_cannot_open_the_toolbox(self, client, people):
        client.force_login(people.pupil)
        assert client.get(reverse("toolbox")).status_code == 404

    def test_an_operator_is_sent_to_the_admin_site(self, client, people):
        client.force_login(people.operator)
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url == reverse("admin:index")

    def test_a_leaver_cannot_log_in(self, client, people):
        people.pupil.status = "leaver"
        people.pupil.is_active = False
        people.pupil.save()
        response = client.post(reverse("login"), {"username": "a-pupil", "password": "correct-horse"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_usernames_log_in_case_insensitively(self, client, people):
        response = client.post(reverse("login"), {"username": "A-Pupil", "password": "correct-horse"})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(people.pupil.pk)


class TenantScopingTests:
    def test_a_school_b_admin_gets_404_for_school_a_credentials(self, client, people):
        from accounts.credential_sheets import Credential, credential_sheet_store

        token = credential_sheet_store(admin=people.admin, title="Logins", rows=[Credential("A", "a1", "pw")])
        client.force_login(people.admin_b)
        assert client.get(reverse("credentials", args=[token])).status_code == 404
        assert client.get(reverse("credentials_pdf", args=[token])).status_code == 404
        client.force_login(people.admin)
        assert client.get(reverse("credentials", args=[token])).status_code == 200

    def test_access_helpers_404_on_another_schools_account_and_group(self, rf, people):
        from django.http import Http404

        from accounts.access import get_account_for_admin, get_accounts_for_admin, get_group_for_admin

        request = rf.get("/")
        request.user = people.admin_b
        with pytest.raises(Http404):
            get_account_for_admin(request, people.pupil.pk)
        with pytest.raises(Http404):
            get_group_for_admin(request, people.class_a.pk)
        with pytest.raises(Http404):
            get_accounts_for_admin(request, [people.pupil_b.pk, people.pupil.pk])
        assert get_account_for_admin(request, people.pupil_b.pk) == people.pupil_b

    def test_the_toolbox_counts_only_the_users_own_school(self, client, people):
        client.force_login(people.admin_b)
        counts = client.get(reverse("toolbox")).context["counts"]
        assert (counts.active_pupils, counts.staff, counts.groups) == (1, 1, 1)


class ConstraintTests:
    def test_usernames_are_unique_case_insensitively_across_schools(self, people):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username="A-PUPIL", school=people.school_b, role=Role.PUPIL)

    def test_upn_is_unique_within_a_school_but_not_across_schools(self, people):
        upn = valid_upn()
        User.objects.filter(pk=people.pupil.pk).update(upn=upn)
        User.objects.filter(pk=people.pupil_b.pk).update(upn=upn)
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username="x1", school=people.school_a, role=Role.PUPIL, upn=upn)

    def test_blank_admission_numbers_never_clash(self, people):
        User.objects.create(username="x1", school=people.school_a, role=Role.PUPIL, admission_number=None)
        User.objects.create(username="x2", school=people.school_a, role=Role.PUPIL, admission_number=None)
        User.objects.create(username="x3", school=people.school_a, role=Role.PUPIL, admission_number="A1")
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username="x4", school=people.school_a, role=Role.PUPIL, admission_number="A1")

    def test_group_names_are_unique_within_a_school_ignoring_case(self, people):
        Group.objects.create(school=people.school_b, name="Year 3 Oak")
        with pytest.raises(IntegrityError), transaction.atomic():
            Group.objects.create(school=people.school_a, name="year 3 oak")

    def test_a_pupil_is_in_one_class_at_a_time(self, people):
        other = Group.objects.create(school=people.school_a, name="Year 3 Ash", year_group="Y3")
        with pytest.raises(IntegrityError), transaction.atomic():
            GroupMembership.objects.create(group=other, user=people.pupil, role="pupil", start_date=people.school_a.local_today())

    def test_a_leaver_can_never_be_active(self, people):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=people.pupil.pk).update(status="leaver", is_active=True)

    def test_an_account_without_a_school_must_be_an_operator(self, db):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username="orphan", role=Role.PUPIL)


class UpnTests:
    def test_a_upn_with_the_right_check_letter_is_valid(self):
        validate_upn(valid_upn())

    def test_a_wrong_check_letter_is_refused(self):
        upn = valid_upn()
        wrong = "B" if upn[0] != "B" else "C"
        with pytest.raises(ValidationError, match="check letter"):
            validate_upn(wrong + upn[1:])

    @pytest.mark.parametrize("value", ["", "A12345", "A12345678901X2", "I123456789012", "A12345678901I"])
    def test_malformed_upns_are_refused(self, value):
        with pytest.raises(ValidationError):
            validate_upn(value)

    def test_a_temporary_upn_ending_in_a_letter_validates(self):
        body = "82620012600A"
        validate_upn(upn_check_letter(body) + body)

    def test_a_known_dfe_example_validates(self):
        # Worked example: weights 2..13 over "00000000000" + "1" → 13 mod 23 = 13 → "P".
        assert upn_check_letter("000000000001") == "P"


class SchoolTests:
    def test_an_infant_schools_leavers_are_year_2(self):
        assert School(phase="infant").leavers_year_group == "Y2"
        assert School(phase="primary").leavers_year_group == "Y6"

    def test_an_unknown_timezone_is_refused(self, db):
        with pytest.raises(ValidationError):
            School(slug="x", name="X", timezone="Mars/Olympus").full_clean()
