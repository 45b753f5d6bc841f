import pytest

from misync.models import MisConnection
from tests.misync.connectors import StaticConnector


@pytest.fixture(autouse=True)
def static_source():
    """Reset the static test connector around every test."""
    StaticConnector.next = None
    StaticConnector.gate = None
    StaticConnector.fetched = 0
    yield StaticConnector
    StaticConnector.next = None
    StaticConnector.gate = None


@pytest.fixture
def connected(people):
    """School A reads its MIS through the static test connector."""
    MisConnection.objects.create(school=people.school_a, connector="static", enabled=True, school_ref="1234")
    return people
