"""The audit log page: who, when, what, target and batch; filters; scoping; query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.services.audit import AuditBuffer, AuditContext, audit_batch_create

pytestmark = pytest.mark.django_db

URL = reverse("audit_log")


def record(people, *, school=None, actor=None, action="updated", account=None, batch=None, days_ago=0):
    school = school or people.school_a
    ctx = AuditContext(school=school, actor=actor, source="test", batch=batch)
    buffer = AuditBuffer(ctx)
    buffer.add_account(account or people.pupil, action, {"first_name": ["A", "B"]})
    buffer.flush()
    entry = AuditEntry.objects.latest("id")
    if days_ago:
        AuditEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return entry


def shown(response):
    return [row.record.pk for row in response.context["table"].paginated_rows]


class AuditLogTests:
    def test_it_shows_who_when_what_target_and_batch(self, client, people):
        batch = audit_batch_create(school=people.school_a, kind="bulk", label="Leave: 1 account", actor=people.admin)
        record(people, actor=people.admin, action="left", batch=batch)
        client.force_login(people.admin)
        content = client.get(URL).content.decode()
        for text in ("Admin Tester (a-admin)", "Left", "Pupil Tester (a-pupil)", "Leave: 1 account", "Bulk action",
                     "first name: A → B", f"?batch={batch.uid}", f"?account_id={people.pupil.pk}"):
            assert text in content

    def test_another_schools_entries_are_never_shown(self, client, people):
        mine = record(people)
        theirs = record(people, school=people.school_b, account=people.pupil_b)
        client.force_login(people.admin)
        assert shown(client.get(URL)) == [mine.pk]
        client.force_login(people.admin_b)
        assert shown(client.get(URL)) == [theirs.pk]
        assert shown(client.get(URL, {"account_id": people.pupil.pk})) == []

    @pytest.mark.parametrize("persona", ["pupil", "teacher"])
    def test_pupils_and_teachers_get_a_404(self, client, people, persona):
        client.force_login(getattr(people, persona))
        assert client.get(URL).status_code == 404

    def test_filters_by_account_actor_action_date_and_batch(self, client, people):
        batch = audit_batch_create(school=people.school_a, kind="import", label="Import", actor=people.superadmin)
        a = record(people, actor=people.admin, action="left")
        b = record(people, actor=people.superadmin, action="moved", account=people.teacher, batch=batch)
        c = record(people, actor=people.admin, action="updated", days_ago=10)
        client.force_login(people.admin)
        assert shown(client.get(URL, {"account": "a-teacher"})) == [b.pk]
        assert shown(client.get(URL, {"account_id": people.pupil.pk})) == [a.pk, c.pk]
        assert shown(client.get(URL, {"actor": "superadmin"})) == [b.pk]
        assert shown(client.get(URL, {"action": "left"})) == [a.pk]
        assert shown(client.get(URL, {"batch": str(batch.uid)})) == [b.pk]
        old = (timezone.localdate() - timedelta(days=5)).isoformat()
        assert shown(client.get(URL, {"date_to": old})) == [c.pk]
        assert shown(client.get(URL, {"date_from": old})) == [b.pk, a.pk]

    def test_the_action_filter_offers_the_schools_own_actions(self, client, people):
        record(people, action="left")
        record(people, school=people.school_b, account=people.pupil_b, action="purged")
        client.force_login(people.admin)
        choices = dict(client.get(URL).context["filter"].form.fields["action"].choices)
        assert "left" in choices and "purged" not in choices

    def test_the_query_count_does_not_grow_with_the_entries(self, client, people):
        batch = audit_batch_create(school=people.school_a, kind="bulk", label="Bulk", actor=people.admin)
        client.force_login(people.admin)
        counts = []
        for n in (2, 80):
            for _ in range(n):
                record(people, actor=people.admin, batch=batch)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(URL).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1] == 5
