"""Bulk Leave, Delete, Move to class and Reset passwords: confirmation, refusals, scoping, audit."""

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse

from accounts.models import AuditBatch, AuditEntry, Group, GroupMembership, Status, User
from tests.accounts.test_accounts_tab import make_pupils

pytestmark = pytest.mark.django_db

ACTIONS = ["accounts_leave", "accounts_delete", "accounts_move", "accounts_reset_passwords"]


def url(name):
    return reverse(name)


class BulkConfirmationTests:
    @pytest.mark.parametrize("name", ACTIONS)
    def test_the_confirmation_page_lists_exactly_the_chosen_accounts_and_changes_nothing(self, client, people, name):
        client.force_login(people.superadmin)
        response = client.get(url(name), {"ids": [people.pupil.pk, people.teacher.pk]})
        assert response.status_code == 200
        assert [a.username for a in response.context["selection"].accounts] == ["a-pupil", "a-teacher"]
        content = response.content.decode()
        assert "a-pupil" in content and "a-teacher" in content and "a-admin" not in content
        assert 'method="post"' in content and "csrfmiddlewaretoken" in content
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.ACTIVE and User.objects.filter(pk=people.teacher.pk).exists()
        assert not AuditEntry.objects.exists()

    @pytest.mark.parametrize("name", ACTIONS)
    def test_school_b_admin_gets_a_404_for_school_a_accounts(self, client, people, name):
        client.force_login(people.admin_b)
        assert client.get(url(name), {"ids": [people.pupil.pk]}).status_code == 404
        data = {"ids": [people.pupil.pk], "leave_date": "01/09/2025", "group": people.class_b.pk}
        assert client.post(url(name), data).status_code == 404
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.ACTIVE

    @pytest.mark.parametrize("name", ACTIONS)
    def test_mixing_in_another_schools_id_is_a_404(self, client, people, name):
        client.force_login(people.admin)
        assert client.get(url(name), {"ids": [people.teacher.pk, people.pupil_b.pk]}).status_code == 404

    @pytest.mark.parametrize("name", ACTIONS)
    @pytest.mark.parametrize("persona", ["pupil", "teacher"])
    def test_pupils_and_teachers_get_a_404(self, client, people, name, persona):
        client.force_login(getattr(people, persona))
        assert client.get(url(name), {"ids": [people.pupil.pk]}).status_code == 404
        assert client.post(url(name), {"ids": [people.pupil.pk]}).status_code == 404

    @pytest.mark.parametrize("name", ACTIONS)
    def test_a_post_without_a_csrf_token_is_refused(self, people, name):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.admin)
        data = {"ids": [people.pupil.pk], "leave_date": "01/09/2025", "group": people.class_a.pk}
        assert client.post(url(name), data).status_code == 403
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.ACTIVE

    @pytest.mark.parametrize("name", ACTIONS)
    def test_nothing_selected_goes_back_to_the_list_with_a_message(self, client, people, name):
        client.force_login(people.admin)
        response = client.get(url(name), {"filter": "role=pupil"}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("accounts_list") + "?role=pupil"
        assert b"Select at least one account first." in response.content

    def test_select_all_matching_applies_the_filter_across_pages(self, client, people):
        make_pupils(people.school_a, people.class_a, 40, year_group="Y6")
        client.force_login(people.admin)
        response = client.get(url("accounts_leave"), {"all_matching": "1", "filter": "year_group=Y6", "ids": [people.teacher.pk]})
        accounts = response.context["selection"].accounts
        assert len(accounts) == 40 and {a.year_group for a in accounts} == {"Y6"}
        assert b'name="expected" value="40"' in response.content
        response = client.post(
            url("accounts_leave"), {"all_matching": "1", "filter": "year_group=Y6", "expected": "40", "leave_date": "01/09/2025"}
        )
        assert response.status_code == 302
        assert User.objects.filter(school=people.school_a, status=Status.LEAVER).count() == 40
        assert User.objects.get(pk=people.pupil.pk).status == Status.ACTIVE
        assert User.objects.get(pk=people.teacher.pk).status == Status.ACTIVE

    def test_select_all_matching_is_refused_when_the_matching_set_changed(self, client, people):
        make_pupils(people.school_a, people.class_a, 5, year_group="Y6")
        client.force_login(people.admin)
        data = {"all_matching": "1", "filter": "year_group=Y6", "expected": "4", "leave_date": "01/09/2025"}
        response = client.post(url("accounts_leave"), data)
        assert response.status_code == 200
        assert b"changed since you looked (there are now 5)" in response.content
        assert not User.objects.filter(status=Status.LEAVER).exists()

    def test_select_all_matching_never_reaches_another_school(self, client, people):
        client.force_login(people.admin_b)
        response = client.get(url("accounts_delete"), {"all_matching": "1", "filter": ""})
        assert {a.username for a in response.context["selection"].accounts} == {"b-admin", "b-pupil"}


class BulkLeaveTests:
    def test_leave_deactivates_ends_memberships_and_records_one_bulk_batch(self, client, people):
        client.force_login(people.admin)
        response = client.post(
            url("accounts_leave"), {"ids": [people.pupil.pk, people.teacher.pk], "leave_date": "01/09/2025"}, follow=True
        )
        assert b"2 accounts are now leavers. They are in the Leavers folder." in response.content
        for account in (people.pupil, people.teacher):
            account.refresh_from_db()
            assert account.status == Status.LEAVER and not account.is_active
            assert account.leave_date.isoformat() == "2025-09-01" and account.left_via == "hand"
        assert not GroupMembership.objects.filter(user=people.pupil, end_date__isnull=True).exists()
        assert GroupMembership.objects.filter(user=people.pupil).count() == 1
        batch = AuditBatch.objects.get()
        assert batch.kind == "bulk" and batch.actor == people.admin
        assert sorted(batch.entries.values_list("action", flat=True)) == ["left", "left"]

    def test_leaving_accounts_that_already_left_says_nothing_changed(self, client, people):
        User.objects.filter(pk=people.pupil.pk).update(status=Status.LEAVER, is_active=False)
        client.force_login(people.admin)
        response = client.post(url("accounts_leave"), {"ids": [people.pupil.pk], "leave_date": "01/09/2025"}, follow=True)
        assert b"Nothing changed: they were all leavers already." in response.content
        assert not AuditEntry.objects.exists() and not AuditBatch.objects.exists()

    def test_a_future_leave_date_is_refused_on_the_field(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_leave"), {"ids": [people.pupil.pk], "leave_date": "01/01/2999"})
        assert response.status_code == 200
        assert b"The leave date must be today or in the past" in response.content
        assert b'href="#id_leave_date"' in response.content
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.ACTIVE

    def test_an_admin_cannot_make_themselves_a_leaver_and_is_told_why(self, client, people):
        client.force_login(people.admin)
        page = client.get(url("accounts_leave"), {"ids": [people.admin.pk, people.pupil.pk]})
        assert b"Your own account is in this list" in page.content
        response = client.post(url("accounts_leave"), {"ids": [people.admin.pk, people.pupil.pk], "leave_date": "01/09/2025"})
        assert response.status_code == 200
        assert b"You cannot make a leaver of your own account" in response.content
        assert not User.objects.filter(status=Status.LEAVER).exists()
        assert not AuditEntry.objects.exists() and not AuditBatch.objects.exists()

    def test_the_last_superadmin_cannot_be_made_a_leaver(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_leave"), {"ids": [people.superadmin.pk], "leave_date": "01/09/2025"})
        assert b"last superadmin" in response.content
        people.superadmin.refresh_from_db()
        assert people.superadmin.status == Status.ACTIVE


class BulkDeleteTests:
    def test_delete_removes_the_accounts_and_keeps_an_anonymous_audit_entry(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_delete"), {"ids": [people.pupil.pk]}, follow=True)
        assert b"1 account deleted." in response.content
        assert not User.objects.filter(pk=people.pupil.pk).exists()
        entry = AuditEntry.objects.get(action="deleted")
        assert entry.target_label == f"Former pupil #{people.pupil.pk}" and entry.batch.kind == "bulk"

    def test_no_personal_detail_from_earlier_edits_survives_in_the_audit_log(self, client, people):
        client.force_login(people.admin)
        client.post(reverse("account_edit", args=[people.pupil.pk]), {
            "first_name": "Ayesha", "last_name": "Quartermaine", "group": people.class_a.pk, "year_group": "Y3",
            "theme": "improver", "admission_number": "A9", "upn": ""})
        assert AuditEntry.objects.filter(action="updated").exists()
        client.post(url("accounts_delete"), {"ids": [people.pupil.pk]})
        for entry in AuditEntry.objects.all():
            text = f"{entry.target_label} {entry.detail}"
            assert "Ayesha" not in text and "Quartermaine" not in text and "A9" not in text

    def test_the_last_superadmin_cannot_be_deleted(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_delete"), {"ids": [people.superadmin.pk, people.pupil.pk]})
        assert response.status_code == 200
        assert b"the school&#x27;s last superadmin" in response.content
        assert User.objects.filter(pk__in=[people.superadmin.pk, people.pupil.pk]).count() == 2

    def test_an_admin_cannot_delete_themselves(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(url("accounts_delete"), {"ids": [people.superadmin.pk]})
        assert b"You cannot delete your own account" in response.content
        assert User.objects.filter(pk=people.superadmin.pk).exists()


class BulkMoveTests:
    def test_pupils_move_to_the_chosen_class_and_staff_stay_put(self, client, people):
        target = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        client.force_login(people.admin)
        page = client.get(url("accounts_move"), {"ids": [people.pupil.pk, people.teacher.pk]})
        assert b"1 of them is staff or leavers and will not move" in page.content
        response = client.post(url("accounts_move"), {"ids": [people.pupil.pk, people.teacher.pk], "group": target.pk}, follow=True)
        assert b"1 pupil moved to Year 4 Elm." in response.content
        assert GroupMembership.objects.get(user=people.pupil, end_date__isnull=True).group == target
        assert GroupMembership.objects.filter(user=people.pupil).count() == 2
        people.pupil.refresh_from_db()
        assert people.pupil.year_group == "Y4"
        assert GroupMembership.objects.get(user=people.teacher).group == people.class_a
        assert AuditEntry.objects.get(action="moved").batch.kind == "bulk"

    def test_another_schools_class_is_not_a_choice(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_move"), {"ids": [people.pupil.pk], "group": people.class_b.pk})
        assert response.status_code == 200
        assert response.context["form"].errors["group"]
        assert GroupMembership.objects.get(user=people.pupil, end_date__isnull=True).group == people.class_a

    def test_a_class_must_be_chosen(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_move"), {"ids": [people.pupil.pk]})
        assert b"Choose the class to move them to" in response.content


class BulkResetPasswordsTests:
    def test_new_passwords_are_shown_once_and_work(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_reset_passwords"), {"ids": [people.pupil.pk, people.teacher.pk]})
        assert response.status_code == 302 and "/toolbox/credentials/" in response.url
        sheet = client.get(response.url).context["sheet"]
        rows = {row.username: row for row in sheet.rows}
        assert set(rows) == {"a-pupil", "a-teacher"} and rows["a-pupil"].group == "Year 3 Oak"
        for account in (people.pupil, people.teacher):
            account.refresh_from_db()
            assert check_password(rows[account.username].password, account.password)
            assert not check_password("correct-horse", account.password)
        entries = AuditEntry.objects.filter(action="password_reset")
        assert entries.count() == 2 and entries.first().batch.kind == "bulk"
        assert all(rows["a-pupil"].password not in str(e.detail) for e in entries)
        assert client.get(response.url + "login-cards.pdf")["Content-Type"] == "application/pdf"

    def test_more_than_one_class_at_a_time_is_refused_with_the_reason(self, client, people):
        pupils = make_pupils(people.school_a, people.class_a, 61)
        client.force_login(people.admin)
        ids = [p.pk for p in pupils]
        page = client.get(url("accounts_reset_passwords"), {"ids": ids})
        assert b"at most 60 passwords at a time" in page.content
        response = client.post(url("accounts_reset_passwords"), {"ids": ids})
        assert response.status_code == 200 and b"at most 60 passwords at a time" in response.content
        assert not AuditEntry.objects.exists()

    def test_an_admin_cannot_reset_a_superadmins_password(self, client, people):
        client.force_login(people.admin)
        response = client.post(url("accounts_reset_passwords"), {"ids": [people.superadmin.pk]})
        assert b"Only a superadmin can reset an admin" in response.content
        people.superadmin.refresh_from_db()
        assert check_password("correct-horse", people.superadmin.password)

    def test_a_superadmin_can_reset_an_admins_password(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(url("accounts_reset_passwords"), {"ids": [people.admin.pk]})
        assert response.status_code == 302
        people.admin.refresh_from_db()
        assert not check_password("correct-horse", people.admin.password)

    def test_nobody_resets_their_own_password_here(self, client, people):
        client.force_login(people.superadmin)
        response = client.post(url("accounts_reset_passwords"), {"ids": [people.superadmin.pk]})
        assert b"You cannot reset your own password here" in response.content

    def test_the_password_style_follows_the_school_setting(self, client, people):
        people.school_a.password_style = "random"
        people.school_a.save()
        client.force_login(people.admin)
        response = client.post(url("accounts_reset_passwords"), {"ids": [people.pupil.pk]})
        (row,) = client.get(response.url).context["sheet"].rows
        assert len(row.password) == 10

    def test_a_reset_account_is_signed_out(self, client, people):
        pupil_client = Client()
        pupil_client.force_login(people.pupil)
        assert pupil_client.get(reverse("homepage")).status_code == 200
        client.force_login(people.admin)
        client.post(url("accounts_reset_passwords"), {"ids": [people.pupil.pk]})
        assert pupil_client.get(reverse("homepage")).status_code == 302

    def test_leavers_are_skipped(self, client, people):
        User.objects.filter(pk=people.teacher.pk).update(status=Status.LEAVER, is_active=False)
        client.force_login(people.admin)
        response = client.post(url("accounts_reset_passwords"), {"ids": [people.pupil.pk, people.teacher.pk]})
        assert [r.username for r in client.get(response.url).context["sheet"].rows] == ["a-pupil"]
        assert check_password("correct-horse", User.objects.get(pk=people.teacher.pk).password)


class BulkConfirmationQueryCountTests:
    @pytest.mark.parametrize("name", ACTIONS)
    def test_the_confirmation_page_costs_the_same_queries_for_3_or_60_accounts(self, client, people, name):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        pupils = make_pupils(people.school_a, people.class_a, 60)
        client.force_login(people.admin)
        counts = []
        for chosen in (pupils[:3], pupils):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url(name), {"ids": [p.pk for p in chosen]})
            assert response.status_code == 200 and len(response.context["selection"].accounts) == len(chosen)
            counts.append(len(queries))
        assert counts[0] == counts[1]
