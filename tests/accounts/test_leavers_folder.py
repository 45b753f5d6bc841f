"""The Leavers folder: listing, reinstating into a class, deleting now, and the retention purge."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry, Group, GroupMembership, Status, User
from accounts.services.audit import AuditContext
from accounts.services.leavers import accounts_mark_left
from accounts.tasks import purge_expired_leavers
from tests.accounts.test_accounts_tab import make_pupils

pytestmark = pytest.mark.django_db

LIST = reverse("leavers_list")


def leave(people, account, *, days_ago=10, via="hand"):
    ctx = AuditContext(school=account.school, actor=None, source="test")
    accounts_mark_left(ctx=ctx, account_ids={account.pk}, leave_date=date.today() - timedelta(days=days_ago), via=via)
    account.refresh_from_db()
    return account


class LeaversListTests:
    def test_it_lists_leavers_with_leave_date_and_how_they_left(self, client, people):
        leave(people, people.pupil, days_ago=3, via="sync")
        leave(people, people.pupil_b)
        client.force_login(people.admin)
        response = client.get(LIST)
        rows = list(response.context["table"].paginated_rows)
        assert [r.record.username for r in rows] == ["a-pupil"]
        content = response.content.decode()
        assert "By MIS sync" in content
        assert people.pupil.leave_date.strftime("%d/%m/%Y") in content
        assert "6 months" in content

    def test_active_accounts_are_not_leavers(self, client, people):
        client.force_login(people.admin)
        assert list(client.get(LIST).context["table"].paginated_rows) == []

    @pytest.mark.parametrize("persona", ["pupil", "teacher"])
    def test_pupils_and_teachers_get_a_404(self, client, people, persona):
        client.force_login(getattr(people, persona))
        assert client.get(LIST).status_code == 404

    def test_the_query_count_does_not_grow_with_the_leavers(self, client, people):
        pupils = make_pupils(people.school_a, people.class_a, 60)
        client.force_login(people.admin)
        counts = []
        for batch in (pupils[:3], pupils[3:]):
            ctx = AuditContext(school=people.school_a, actor=None, source="test")
            accounts_mark_left(ctx=ctx, account_ids={p.pk for p in batch}, leave_date=date(2026, 7, 23))
            with CaptureQueriesContext(connection) as queries:
                assert client.get(LIST).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1] == 4


class ReinstateTests:
    def test_a_leaver_is_reinstated_into_a_class_and_follows_its_year_group(self, client, people):
        leave(people, people.pupil)
        target = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        client.force_login(people.admin)
        page = client.get(reverse("leaver_reinstate", args=[people.pupil.pk]))
        assert page.context["form"].initial["group"] == people.class_a
        response = client.post(reverse("leaver_reinstate", args=[people.pupil.pk]), {"group": target.pk}, follow=True)
        assert b"is active again in Year 4 Elm" in response.content
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.ACTIVE and people.pupil.is_active and people.pupil.leave_date is None
        assert (people.pupil.year_group, people.pupil.theme) == ("Y4", "improver")
        assert GroupMembership.objects.get(user=people.pupil, end_date__isnull=True).group == target
        assert GroupMembership.objects.filter(user=people.pupil).count() == 2
        assert {"reinstated", "moved"} <= set(AuditEntry.objects.values_list("action", flat=True))

    def test_a_leaver_can_come_back_without_a_class(self, client, people):
        leave(people, people.teacher)
        client.force_login(people.admin)
        client.post(reverse("leaver_reinstate", args=[people.teacher.pk]), {"group": ""})
        people.teacher.refresh_from_db()
        assert people.teacher.status == Status.ACTIVE
        assert not GroupMembership.objects.filter(user=people.teacher, end_date__isnull=True).exists()

    def test_a_staff_leaver_rejoins_a_class_as_a_teacher(self, client, people):
        leave(people, people.teacher)
        client.force_login(people.admin)
        client.post(reverse("leaver_reinstate", args=[people.teacher.pk]), {"group": people.class_a.pk})
        assert GroupMembership.objects.get(user=people.teacher, end_date__isnull=True).role == "teacher"

    def test_another_schools_class_is_not_a_choice(self, client, people):
        leave(people, people.pupil)
        client.force_login(people.admin)
        response = client.post(reverse("leaver_reinstate", args=[people.pupil.pk]), {"group": people.class_b.pk})
        assert response.context["form"].errors["group"]
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.LEAVER


class DeleteNowTests:
    def test_the_confirmation_page_changes_nothing_and_the_post_deletes(self, client, people):
        leave(people, people.pupil)
        client.force_login(people.admin)
        page = client.get(reverse("leaver_delete", args=[people.pupil.pk]))
        assert b"Delete Pupil Tester for good" in page.content
        assert User.objects.filter(pk=people.pupil.pk).exists()
        response = client.post(reverse("leaver_delete", args=[people.pupil.pk]))
        assert response.status_code == 302
        assert not User.objects.filter(pk=people.pupil.pk).exists()
        assert AuditEntry.objects.filter(action="deleted", source="leavers folder").exists()


class LeaverUrlScopingTests:
    @pytest.mark.parametrize("name", ["leaver_reinstate", "leaver_delete"])
    def test_school_b_admin_gets_a_404(self, client, people, name):
        leave(people, people.pupil)
        client.force_login(people.admin_b)
        assert client.get(reverse(name, args=[people.pupil.pk])).status_code == 404
        assert client.post(reverse(name, args=[people.pupil.pk]), {"group": ""}).status_code == 404
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.LEAVER

    @pytest.mark.parametrize("name", ["leaver_reinstate", "leaver_delete"])
    def test_an_active_account_is_not_in_the_folder(self, client, people, name):
        client.force_login(people.admin)
        assert client.get(reverse(name, args=[people.pupil.pk])).status_code == 404
        assert client.post(reverse(name, args=[people.pupil.pk])).status_code == 404
        assert User.objects.filter(pk=people.pupil.pk, status=Status.ACTIVE).exists()

    @pytest.mark.parametrize("name", ["leaver_reinstate", "leaver_delete"])
    @pytest.mark.parametrize("persona", ["pupil", "teacher"])
    def test_pupils_and_teachers_get_a_404(self, client, people, name, persona):
        leave(people, people.pupil_b)
        client.force_login(getattr(people, persona))
        assert client.get(reverse(name, args=[people.pupil_b.pk])).status_code == 404

    @pytest.mark.parametrize("name", ["leaver_reinstate", "leaver_delete"])
    def test_a_post_without_a_csrf_token_is_refused(self, people, name):
        leave(people, people.pupil)
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.admin)
        assert client.post(reverse(name, args=[people.pupil.pk]), {"group": ""}).status_code == 403
        people.pupil.refresh_from_db()
        assert people.pupil.status == Status.LEAVER


class RetentionPurgeTests:
    def test_the_daily_purge_uses_the_retention_set_on_the_settings_page(self, client, people):
        leave(people, people.pupil, days_ago=40)
        leave(people, people.teacher, days_ago=20)
        client.force_login(people.admin)
        client.post(reverse("school_settings"), {"leaver_retention_months": "1", "username_scheme": "forename_initial",
                                                 "password_style": "word_digits"})
        purge_expired_leavers.delay()
        assert not User.objects.filter(pk=people.pupil.pk).exists()
        assert User.objects.filter(pk=people.teacher.pk).exists()
        entry = AuditEntry.objects.get(action="purged")
        assert entry.batch.kind == "system"
        client.force_login(people.admin)
        assert b"Purged" in client.get(reverse("audit_log"), {"action": "purged"}).content
