"""School settings: leaver retention in months, username scheme and password style."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, School

pytestmark = pytest.mark.django_db

URL = reverse("school_settings")


def data(**changes):
    return {"leaver_retention_months": "6", "username_scheme": "forename_initial", "password_style": "word_digits",
            **changes}


class SchoolSettingsTests:
    def test_it_shows_the_current_settings(self, client, people):
        client.force_login(people.admin)
        form = client.get(URL).context["form"]
        assert form.initial == {"leaver_retention_months": 6, "username_scheme": "forename_initial",
                                "password_style": "word_digits"}

    @pytest.mark.parametrize("months, days", [("1", 31), ("6", 183), ("12", 366)])
    def test_retention_is_set_in_months_and_stored_in_days(self, client, people, months, days):
        client.force_login(people.admin)
        assert client.post(URL, data(leaver_retention_months=months)).status_code == 302
        people.school_a.refresh_from_db()
        assert people.school_a.leaver_retention_days == days

    @pytest.mark.parametrize("months, message", [("0", "at least 1 month"), ("13", "at most 12 months"),
                                                 ("", "Enter how many months")])
    def test_retention_outside_1_to_12_months_is_refused_on_the_field(self, client, people, months, message):
        client.force_login(people.admin)
        response = client.post(URL, data(leaver_retention_months=months))
        assert response.status_code == 200
        assert message in response.context["form"].errors["leaver_retention_months"][0]
        assert b'href="#id_leaver_retention_months"' in response.content
        people.school_a.refresh_from_db()
        assert people.school_a.leaver_retention_days == 183

    def test_changes_are_audited_with_old_and_new_values(self, client, people):
        client.force_login(people.admin)
        client.post(URL, data(username_scheme="initial_surname", password_style="random"))
        people.school_a.refresh_from_db()
        assert (people.school_a.username_scheme, people.school_a.password_style) == ("initial_surname", "random")
        entry = AuditEntry.objects.get(action="settings_changed")
        assert entry.target_type == "school" and entry.actor == people.admin
        assert entry.detail == {"username_scheme": ["forename_initial", "initial_surname"],
                                "password_style": ["word_digits", "random"]}

    def test_saving_without_changes_records_nothing(self, client, people):
        client.force_login(people.admin)
        client.post(URL, data())
        assert not AuditEntry.objects.exists()

    def test_the_new_username_scheme_is_used_for_new_accounts(self, client, people):
        client.force_login(people.admin)
        client.post(URL, data(username_scheme="forename_surname"))
        client.post(reverse("account_new"), {"role": "staff", "first_name": "Nia", "last_name": "Jones"})
        assert people.school_a.accounts.filter(username="nia.jones").exists()

    def test_school_b_admin_changes_only_their_own_school(self, client, people):
        client.force_login(people.admin_b)
        client.post(URL, data(leaver_retention_months="12"))
        assert School.objects.get(pk=people.school_b.pk).leaver_retention_days == 366
        assert School.objects.get(pk=people.school_a.pk).leaver_retention_days == 183

    @pytest.mark.parametrize("persona", ["pupil", "teacher"])
    def test_pupils_and_teachers_get_a_404(self, client, people, persona):
        client.force_login(getattr(people, persona))
        assert client.get(URL).status_code == 404
        assert client.post(URL, data(leaver_retention_months="1")).status_code == 404

    def test_a_post_without_a_csrf_token_is_refused(self, people):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.admin)
        assert client.post(URL, data(leaver_retention_months="1")).status_code == 403
        people.school_a.refresh_from_db()
        assert people.school_a.leaver_retention_days == 183
