"""Every state-changing view refuses a POST without a CSRF token; no view opts out of the check."""

import pytest
from django.test import Client

from tests.security.urlwalk import collect_candidates, expand, walk_patterns

pytestmark = pytest.mark.django_db


class CsrfTests:
    def test_no_view_is_csrf_exempt(self):
        exempt = [p.label for p in walk_patterns(include_excluded=True) if getattr(p.callback, "csrf_exempt", False)]
        assert not exempt, f"views that skip the CSRF check: {exempt}"

    @pytest.mark.parametrize("role", ["admin", "superadmin", "pupil"])
    def test_every_post_without_a_token_is_refused(self, people, role):
        client = Client(enforce_csrf_checks=True)
        client.force_login(getattr(people, role))
        # School A's own ids and tokens, so the request would otherwise reach the view.
        candidates = collect_candidates([people.school_a])
        refused, accepted = 0, []
        for pattern in walk_patterns():
            for url in expand(pattern, candidates)[:3]:
                response = client.post(url, {"name": "x", "ids": ["1"]})
                if response.status_code == 403:
                    refused += 1
                else:
                    accepted.append(f"{url} ({pattern.label}) → {response.status_code}")
        assert not accepted, "POSTs without a CSRF token that were not refused:\n" + "\n".join(accepted)
        assert refused >= len(walk_patterns())

    def test_a_post_with_a_valid_token_gets_through(self, people):
        """The opposite case, so the refusals above are about the token and nothing else."""
        client = Client(enforce_csrf_checks=True)
        client.get("/login/")
        token = client.cookies["csrftoken"].value
        response = client.post(
            "/login/", {"username": "a-admin", "password": "correct-horse", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
