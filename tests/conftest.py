"""Shared test set-up: personas from two schools, fast hashing, and service checks.

School A (slug "a") has a superadmin, an admin, a teacher and a pupil in a class; School B
(slug "b") has an admin and a pupil in a class of its own. Every view test includes the
"School B admin gets a 404" case against School A's objects (or the reverse).
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from accounts.models import Group, GroupMembership, Role, School, User


def pytest_configure(config):
    # Fast hashing except in tests that are about hashing (they override PASSWORD_HASHERS).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def require_service(reason: str):
    """Skip with a visible reason, or fail when REQUIRE_SERVICES=1 (CI's PostgreSQL + Redis pass)."""
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
    if not url:
        require_service("REDIS_URL is not set")
    if not _reachable(url):
        require_service(f"Redis at {url} is not reachable")
    return url


@pytest.fixture
def postgres(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        require_service("DATABASE_URL does not point at PostgreSQL")
    return connection


def make_user(school, username, role, **extra):
    return User.objects.create_user(
        username=username,
        password="correct-horse",
        school=school,
        role=role,
        first_name=extra.pop("first_name", username.split("-")[-1].title()),
        last_name=extra.pop("last_name", "Tester"),
        **extra,
    )


class Personas:
    def __init__(self):
        self.school_a = School.objects.create(slug="a", name="Alder Primary")
        self.school_b = School.objects.create(slug="b", name="Birch Primary")
        self.class_a = Group.objects.create(school=self.school_a, name="Year 3 Oak", year_group="Y3")
        self.class_b = Group.objects.create(school=self.school_b, name="Year 3 Ash", year_group="Y3")
        self.superadmin = make_user(self.school_a, "a-superadmin", Role.SUPERADMIN)
        self.admin = make_user(self.school_a, "a-admin", Role.ADMIN)
        self.teacher = make_user(self.school_a, "a-teacher", Role.STAFF)
        self.pupil = make_user(self.school_a, "a-pupil", Role.PUPIL, year_group="Y3", theme="improver")
        self.admin_b = make_user(self.school_b, "b-admin", Role.ADMIN)
        self.pupil_b = make_user(self.school_b, "b-pupil", Role.PUPIL, year_group="Y3", theme="improver")
        self.operator = User.objects.create_superuser(
            username="operator", password="correct-horse", role=Role.OPERATOR, email="ops@example.com"
        )
        today = self.school_a.local_today()
        GroupMembership.objects.create(group=self.class_a, user=self.pupil, role="pupil", start_date=today)
        GroupMembership.objects.create(group=self.class_a, user=self.teacher, role="teacher", start_date=today)
        GroupMembership.objects.create(group=self.class_b, user=self.pupil_b, role="pupil", start_date=today)


@pytest.fixture
def people(db):
    return Personas()


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run eagerly in tests, even when REDIS_URL is set, except where a test starts a real worker."""
    from dbprimary.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points a child process (a worker, a server) at the test database."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("only PostgreSQL test databases can be shared with another process")
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def celery_worker_process(redis_url, postgres, transactional_db):
    """A real `celery worker` on its own queue, against real Redis and the test PostgreSQL database."""
    import subprocess
    import sys
    import uuid

    from dbprimary.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        "DB_CONN_MAX_AGE": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dbprimary", "worker", "-Q", queue, "-P", "solo", "-c", "1",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    try:
        yield queue, proc
    finally:
        app.conf.task_always_eager = True
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
