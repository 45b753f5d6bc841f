"""The project's Celery app plus the test-only "jsonfile" connector, for a real worker in tests."""

from dbprimary.celery import app  # noqa: F401, I001  (the app first, then the test connector)

import tests.misync.json_connector  # noqa: F401,E402
