import pytest
from django.core.management import call_command

from accounts.models import School
from misync.models import MisConnection, SyncRun

pytestmark = pytest.mark.django_db


class DemoTests:
    def test_the_demo_school_gets_a_disabled_connection_to_the_fake_mis_and_past_runs_once(self):
        call_command("seed_demo", stdout=None)
        call_command("seed_demo", stdout=None)
        school = School.objects.get(slug="demo")
        connection = MisConnection.objects.get(school=school)
        assert (connection.connector, connection.base_url, connection.enabled) == (
            "xporter",
            "http://127.0.0.1:8765",
            False,
        )
        assert connection.get_credentials()["secret"]
        assert SyncRun.objects.filter(school=school).count() == 4
        assert set(SyncRun.objects.values_list("status", flat=True)) == {"succeeded", "failed", "rejected"}
