"""Plain-text passwords never reach the database, the SQL sent to it, the logs or the audit log.

Each flow in PASSWORD_FLOWS makes or uses passwords the way the product does and returns the
plain-text ones it saw. The test then dumps every text column of every table (found through
`apps.get_models()`), every SQL statement sent during the flows and everything logged, and
looks for each password. A later flow (reset, import, sync logins) is one more function in
the list.
"""

import io
import json
import logging

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.credential_sheets import Credential, credential_sheet_store
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditContext
from dbprimary import settings as project_settings

pytestmark = pytest.mark.django_db


def flow_accounts_create_generated(people, client):
    """The toolbox/import/sync path: blank passwords are generated, then shown on a credentials sheet."""
    ctx = AuditContext(school=people.school_a, actor=people.admin, source="password test")
    created = accounts_create(
        ctx=ctx,
        new=[NewAccount(forename=f, surname="Okafor", group=people.class_a) for f in ("Ada", "Kwame", "Zoë")],
        today=people.school_a.local_today(),
    )
    passwords = [c.password for c in created]
    token = credential_sheet_store(
        admin=people.admin,
        title="New logins",
        rows=[Credential(c.account.get_full_name(), c.account.username, c.password) for c in created],
    )
    # The sheet is in the cache only encrypted.
    blob = cache.get(f"credentials:{people.admin.pk}:{token}")
    assert blob and not any(p.encode() in blob for p in passwords)
    client.force_login(people.admin)
    for name in ("credentials", "credentials_xlsx", "credentials_pdf"):
        assert client.get(reverse(name, args=[token])).status_code == 200
    # The new pupil signs in with it: the login path must not record it either.
    pupil_client = Client()
    response = pupil_client.post(reverse("login"), {"username": created[0].account.username, "password": passwords[0]})
    assert SESSION_KEY in pupil_client.session, response
    return passwords


def flow_accounts_create_typed(people, client):
    """An admin types a password for a new account."""
    ctx = AuditContext(school=people.school_a, actor=people.admin, source="password test")
    accounts_create(
        ctx=ctx,
        new=[NewAccount(forename="Typed", surname="Password", username="typed-pw", password="Typed-Secret-734")],
        today=people.school_a.local_today(),
    )
    return ["Typed-Secret-734"]


def flow_failed_logins(people, client):
    """A pupil's near-miss typed at the login page (django-axes records the attempt)."""
    near_miss = "correct-horsf-near-miss"
    for _ in range(2):
        Client().post(reverse("login"), {"username": people.pupil.username, "password": near_miss})
    Client().post(reverse("login"), {"username": "nobody-here", "password": "Unknown-User-Pw-99"})
    return [near_miss, "Unknown-User-Pw-99"]


def flow_management_commands(people, client):
    """The demo logins and an operator's first superadmin, set from the command line."""
    out = io.StringIO()
    call_command("seed_demo", "--password", "Demo-Pw-Seeded-55", stdout=out)
    call_command("create_school", "--slug", "oak", "--name", "Oak Primary", "--superadmin", "oak-head",
                 "--password", "Head-Pw-First-66", stdout=out)
    return ["Head-Pw-First-66"]  # seed_demo prints its password on purpose (a demo); it must not store it


PASSWORD_FLOWS = [
    flow_accounts_create_generated,
    flow_accounts_create_typed,
    flow_failed_logins,
    flow_management_commands,
]


def database_text() -> str:
    """Every value of every row of every table, as text."""
    chunks = []
    for model in apps.get_models(include_auto_created=True):
        for row in model._default_manager.values():
            chunks.append(json.dumps(row, default=str, ensure_ascii=False))
    return "\n".join(chunks)


class PasswordStorageTests:
    def test_no_flow_stores_or_logs_a_plain_text_password(self, people, client, caplog, capsys, settings):
        # The real hasher, as in production (the personas' MD5 hashes still verify).
        md5 = "django.contrib.auth.hashers.MD5PasswordHasher"
        settings.PASSWORD_HASHERS = [*project_settings.PASSWORD_HASHERS, md5]
        caplog.set_level(logging.DEBUG)
        passwords = []
        with CaptureQueriesContext(connection) as queries:
            for flow in PASSWORD_FLOWS:
                found = flow(people, client)
                assert found, f"{flow.__name__} returned no passwords to look for"
                passwords += found
        sql = "\n".join(str(q["sql"]) + " " + str(q.get("params", "")) for q in queries.captured_queries)
        places = {
            "the database": database_text(),
            "the SQL sent to the database": sql,
            "the logs": caplog.text,
            "the console output": "".join(capsys.readouterr()),
        }
        assert len(places["the database"]) > 1000 and len(sql) > 1000 and places["the logs"]
        leaks = [f"{p!r} in {where}" for p in passwords for where, text in places.items() if p in text]
        assert not leaks, leaks

    def test_the_search_would_find_a_stored_password(self, people):
        """Guard against a search that cannot fail."""
        people.pupil.first_name = "Leaky-Pw-123"
        people.pupil.save(update_fields=["first_name"])
        assert "Leaky-Pw-123" in database_text()
