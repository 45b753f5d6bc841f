"""The MIS status page in a failing state: the toolbox banner, the status page's cause and checks,
and Test connection, by keyboard, with the demo school reading a fake MIS that refuses its login."""

import pytest
from django.utils import timezone

from accounts.models import School
from misync.fake_mis import PASSWORD, RELYING_PARTY, THIRD_PARTY_ID, FakeMis, FakeSchoolData
from misync.health import CAUSES
from misync.models import MisConnection, SyncRun
from tests.browser.harness import activate, login, shoot, visit
from tests.misync.health_fixtures import sync


@pytest.fixture
def failing_mis(demo):
    """The demo school linked to a running fake MIS that answers 401 (credentials changed in the MIS)."""
    fake = FakeMis.start(data=FakeSchoolData.generate(n_pupils=10, seed=3))
    school = School.objects.get(slug="demo")
    connection, _ = MisConnection.objects.get_or_create(school=school)
    connection.connector = "xporter"
    connection.base_url = fake.base_url
    connection.school_ref = fake.data.school_ref
    connection.enabled = True
    connection.enabled_at = timezone.now()
    connection.pause_until = None
    connection.set_credentials({"relying_party": RELYING_PARTY, "third_party_id": THIRD_PARTY_ID, "password": PASSWORD})
    connection.save()
    fake.set_failure("401")
    run = sync(school)
    assert run.status == SyncRun.Status.FAILED
    yield fake
    fake.stop()


class MisStatusFlowTests:
    def test_an_admin_follows_the_failing_banner_to_the_status_page_and_tests_the_connection(self, page, failing_mis):
        cause = CAUSES["auth"]
        runs = SyncRun.objects.filter(school__slug="demo").count()
        login(page, "demo-admin")
        visit(page, "/toolbox/")
        banner = page.locator(".mis-banner")
        assert "Failing" in banner.inner_text()
        shoot(page, "mis-banner-failing")

        activate(page, r"^a\|.*See what to check and who to contact$")
        assert page.url.endswith("/mis/status/")
        text = page.locator("main").inner_text()
        assert "Failing" in text and "Failed attempts in a row" in text
        assert cause.title in text
        shoot(page, "mis-status-failing")

        activate(page, r"^button\|submit\|.*\|Test connection$")
        assert page.get_by_role("heading", level=1).inner_text() == "Test connection"
        result = page.locator("main").inner_text()
        assert cause.title in result
        assert SyncRun.objects.filter(school__slug="demo").count() == runs  # testing the connection ran no sync
        shoot(page, "mis-test-connection-failing")
