"""The project's Celery app plus the test-only "jsonfile" connector, for a real worker in tests."""

import django

from dbprimary.celery import app  # noqa: F401  (sets DJANGO_SETTINGS_MODULE)

# The connectors package imports the real connectors, which need Django's app registry ready.
django.setup()

import tests.misync.json_connector  # noqa: E402, F401
