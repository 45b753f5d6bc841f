"""Every URL × every School A role × School B's ids and tokens: never a 500, never School B's data.

The walk is generic (see urlwalk.py): patterns come from the resolver and School B's objects
from every model with a path to School, so new URLs and models are covered as they land.
School B here means every school other than School A: the `people` fixture's "Birch Primary"
plus the demo school from `seed_demo`, which carries every app's demo data (communities,
sync runs…). Each of their free-text fields carries the marker ZZBIRCH, so a leak shows up in
any page that prints one of their names, labels or titles.
"""

import io

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.credential_sheets import Credential, credential_sheet_store
from accounts.models import School
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditContext
from tests.security.urlwalk import (
    MARKER,
    body_mentions_marker,
    collect_candidates,
    data_fingerprint,
    expand,
    mark_text_fields,
    walk_patterns,
)

pytestmark = pytest.mark.django_db

CSRF_SECRET = "wAlKtOkEn" * 3 + "walkt"  # 32 characters: a valid unmasked CSRF secret
# Pages anyone may see without signing in.
PUBLIC_URL_NAMES = {"login", "logout"}
ROLES = ["anonymous", "pupil", "teacher", "admin", "superadmin"]


class World:
    def __init__(self, people):
        call_command("seed_demo", "--password", "walk-demo-pw", stdout=io.StringIO())
        self.people = people
        school_b = people.school_b
        accounts_create(  # through the real service, so School B has audit entries too
            ctx=AuditContext(school=school_b, actor=people.admin_b, source="walk set-up"),
            new=[NewAccount(forename="Bea", surname="Birch", group=people.class_b)],
            today=school_b.local_today(),
        )
        self.others = list(School.objects.exclude(pk=people.school_a.pk))
        token = credential_sheet_store(
            admin=people.admin_b,
            title=f"{MARKER} new logins",
            rows=[Credential(name=f"{MARKER} Pupil", username="b-pupil", password="tiger42", group=MARKER)],
        )
        mark_text_fields(self.others)
        self.candidates = collect_candidates(self.others, extra_strings=[token, "b-admin", "b-pupil"])
        self.urls = [(p, url) for p in walk_patterns() for url in expand(p, self.candidates)]

    def client_for(self, role):
        client = Client(enforce_csrf_checks=True)
        client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
        if role != "anonymous":
            client.force_login(getattr(self.people, role))
        return client


@pytest.fixture
def world(people):
    return World(people)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _problems_for(world, role) -> list[str]:
    client = world.client_for(role)
    user = None if role == "anonymous" else getattr(world.people, role)
    problems = []
    hostile = {**world.candidates.hostile_form(), "csrfmiddlewaretoken": CSRF_SECRET}
    for pattern, url in world.urls:
        for method in ("get", "post", "post School B ids"):
            try:
                if method == "get":
                    response = client.get(url)
                elif method == "post":
                    response = client.post(url, {"csrfmiddlewaretoken": CSRF_SECRET})
                else:
                    response = client.post(url, hostile)
            except Exception as exc:  # the test client re-raises a view's exception: a 500
                problems.append(f"{role} {method.upper()} {url} ({pattern.label}) raised {type(exc).__name__}: {exc}")
                continue
            where = f"{role} {method.upper()} {url} ({pattern.label}) → {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where}: server error")
            elif response.status_code == 403:
                problems.append(f"{where}: 403 confirms the object exists (or the CSRF token was refused)")
            elif response.status_code == 200 and body_mentions_marker(response):
                problems.append(f"{where}: the page shows School B's data")
            elif role == "anonymous" and pattern.name not in PUBLIC_URL_NAMES:
                if not (_is_login_redirect(response) or response.status_code in (404, 405)):
                    problems.append(f"{where}: anonymous visitors must get a login redirect or a 404")
            if user is not None and method != "get" and SESSION_KEY not in client.session:
                client.force_login(user)  # the walk POSTed to logout; carry on signed in
    return problems


class UrlWalkTests:
    def test_the_walk_covers_every_pattern_and_school_b_object_kind(self, world):
        walked = {p.path_format for p, _ in world.urls}
        every = {p.path_format for p in walk_patterns()}
        assert walked == every, f"patterns the walk could not fill: {sorted(every - walked)}"
        assert {"school", "user", "group", "groupmembership", "auditentry"} <= set(world.candidates.pks_by_model)
        assert not any(p.path_format.startswith("/operator/") for p, _ in world.urls)

    def test_school_b_names_carry_the_marker(self, world):
        assert all(MARKER in s.name for s in School.objects.filter(pk__in=[o.pk for o in world.others]))
        assert MARKER in world.people.school_b.groups.get().name
        assert MARKER not in School.objects.get(pk=world.people.school_a.pk).name

    def test_the_walk_notices_a_leak(self, world, client):
        """Guard against a walk that cannot fail: a page that shows School B's name is caught."""
        client.force_login(world.people.admin_b)
        response = client.get(reverse("toolbox"), follow=True)
        assert response.status_code == 200 and body_mentions_marker(response)

    def test_the_fingerprint_notices_a_change_to_school_b(self, world):
        before = data_fingerprint(world.others)
        world.people.pupil_b.first_name = "Changed"
        world.people.pupil_b.save(update_fields=["first_name"])
        assert data_fingerprint(world.others) != before

    @pytest.mark.parametrize("role", ROLES)
    def test_no_url_gives_a_school_a_user_a_500_or_school_b_data(self, world, role):
        before = data_fingerprint(world.others)
        problems = _problems_for(world, role)
        assert not problems, "\n".join(problems)
        assert data_fingerprint(world.others) == before, f"a {role} of School A changed School B's data"


class OperatorSiteTests:
    """Django's admin site (/operator/) is for platform operators only; school roles get its login page."""

    @pytest.mark.parametrize("role", ["pupil", "teacher", "admin", "superadmin"])
    def test_school_users_are_sent_to_the_admin_login(self, client, people, role):
        client.force_login(getattr(people, role))
        for url in (
            reverse("admin:index"),
            reverse("admin:accounts_user_changelist"),
            reverse("admin:accounts_user_change", args=[people.admin_b.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url

    def test_anonymous_visitors_are_sent_to_the_admin_login(self, client, people):
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_the_operator_gets_in(self, client, people):
        client.force_login(people.operator)
        assert client.get(reverse("admin:index")).status_code == 200
