"""Signing in and out: lock-out per username + IP (django-axes), session rotation, logout."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

SCHOOL_IP = "203.0.113.10"
HOME_IP = "198.51.100.7"


def attempt(username, password, ip=SCHOOL_IP, client=None):
    client = client or Client(REMOTE_ADDR=ip)
    response = client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)
    return client, response


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


class LockoutTests:
    def fail_until_locked(self, username="a-pupil", ip=SCHOOL_IP):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _, response = attempt(username, "wrong-password", ip)
            assert not response.wsgi_request.user.is_authenticated

    def test_a_username_is_locked_out_after_the_failure_limit_even_with_the_right_password(self, people):
        self.fail_until_locked()
        client, response = attempt("a-pupil", "correct-horse")
        assert response.status_code == 429
        assert not signed_in(client)
        assert b"locked" in response.content.lower()

    def test_one_failure_short_of_the_limit_still_lets_the_right_password_in(self, people):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            attempt("a-pupil", "wrong-password")
        client, response = attempt("a-pupil", "correct-horse")
        assert response.status_code == 302 and signed_in(client)

    def test_one_pupils_mistakes_do_not_lock_out_the_class_on_the_same_ip(self, people):
        self.fail_until_locked("a-pupil")
        client, response = attempt("a-teacher", "correct-horse")
        assert response.status_code == 302 and signed_in(client)

    def test_the_locked_username_still_logs_in_from_another_ip(self, people):
        self.fail_until_locked("a-pupil")
        client, response = attempt("a-pupil", "correct-horse", ip=HOME_IP)
        assert response.status_code == 302 and signed_in(client)

    def test_the_lockout_ignores_the_usernames_case(self, people):
        self.fail_until_locked("A-Pupil")
        _, response = attempt("a-pupil", "correct-horse")
        assert response.status_code == 429


class SessionTests:
    def test_the_session_key_rotates_on_login(self, people):
        client = Client()
        session = client.session
        session["probe"] = "before login"
        session.save()
        before = client.cookies[settings.SESSION_COOKIE_NAME].value
        attempt("a-admin", "correct-horse", client=client)
        after = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert after != before
        assert not Session.objects.filter(session_key=before).exists()
        assert signed_in(client)

    def test_logout_is_a_post_that_ends_the_session(self, people):
        client, _ = attempt("a-admin", "correct-horse")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert client.get(reverse("logout")).status_code == 405  # a link or prefetch never signs anyone out
        assert signed_in(client)
        response = client.post(reverse("logout"))
        assert response.status_code == 302 and response["Location"] == reverse("login")
        assert not Session.objects.filter(session_key=key).exists()
        response = client.get(reverse("toolbox"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_the_session_cookie_is_http_only(self, people):
        client, _ = attempt("a-admin", "correct-horse")
        assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
