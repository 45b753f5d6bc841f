"""Fixtures for the sync-health tests: School A reads a running fake MIS over real HTTP.

The fake serves 30 generated pupils as Groupcall Xporter; School A's MIS connection points at it
with the right credentials, the nightly sync is on, and School A's admin has an e-mail address
(the superadmin has none) so alerts have exactly one recipient. E-mail goes to locmem.
"""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from misync.fake_mis import PASSWORD, RELYING_PARTY, THIRD_PARTY_ID, FakeMis, FakeSchoolData
from misync.models import MisConnection, SyncRun
from misync.services import sync_run_create, sync_run_execute

ADMIN_EMAIL = "office@alder.example"


@pytest.fixture
def fake_mis():
    fake = FakeMis.start(data=FakeSchoolData.generate(n_pupils=30, seed=7))
    yield fake
    fake.stop()


@pytest.fixture
def linked(people, fake_mis, settings):
    """People, with School A linked to the fake MIS and mail captured."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}}
    settings.SITE_URL = "https://accounts.example.org"
    User.objects.filter(pk=people.admin.pk).update(email=ADMIN_EMAIL)
    connection = MisConnection(
        school=people.school_a,
        connector="xporter",
        base_url=fake_mis.base_url,
        school_ref=fake_mis.data.school_ref,
        enabled=True,
        enabled_at=timezone.now(),
    )
    connection.set_credentials({"relying_party": RELYING_PARTY, "third_party_id": THIRD_PARTY_ID, "password": PASSWORD})
    connection.save()
    people.fake = fake_mis
    mail.outbox.clear()
    return people


def sync(school) -> SyncRun:
    """One real run, as the task does it on its final attempt (no retry waits)."""
    return sync_run_execute(sync_run_create(school=school, trigger="manual").pk)
