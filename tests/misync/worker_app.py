"""The project's Celery app plus the test-only "jsonfile" connector, for a real worker in tests."""

from dbprimary.celery import app  # noqa: F401

import tests.misync.json_connector  # noqa: F401,E402
