"""Real Celery workers against the test PostgreSQL database and real Redis, for the fault tests.

Each worker is a `celery worker` subprocess (solo pool, one task at a time, prefetching one) on
a queue of its own test, loading the test-only "jsonfile" connector so it can read an export a
test wrote to a file. Tests start as many as they need and may kill them; whatever is still
running at the end is stopped.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import database_url_for_subprocess


class Workers:
    def __init__(self, redis_url: str, queue: str):
        self.redis_url = redis_url
        self.queue = queue
        self.procs: list[subprocess.Popen] = []
        self.logs: dict[int, str] = {}
        self.names: dict[int, str] = {}

    def start(self) -> subprocess.Popen:
        name = f"reliability-{uuid.uuid4().hex[:8]}@localhost"
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": self.redis_url,
            "REDIS_URL": self.redis_url,
            "DB_CONN_MAX_AGE": "0",
            "PYTHONPATH": str(settings.BASE_DIR),
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.misync.worker_app",
                "worker",
                "-Q",
                self.queue,
                "-P",
                "solo",
                "-c",
                "1",
                "--prefetch-multiplier",
                "1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
                "-n",
                name,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=settings.BASE_DIR,
        )
        self.procs.append(proc)
        self.names[proc.pid] = name
        return proc

    def wait_until_ready(self, *, procs) -> None:
        """Until every one of `procs` answers a broadcast ping, i.e. is consuming its queue."""
        from dbprimary.celery import app

        wanted = {self.names[p.pid] for p in procs}

        def answered():
            replies = app.control.ping(destination=sorted(wanted), timeout=0.5)
            return wanted <= {name for reply in replies for name in reply}

        wait_for(answered, what="the workers to start consuming", timeout=60, procs=procs)

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL: the process gets no chance to roll back, close connections or ack its task."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.pid not in self.logs:
                self.logs[proc.pid] = proc.stdout.read() if proc.stdout else ""

    def log_of(self, proc: subprocess.Popen) -> str:
        self.stop_all()
        return self.logs[proc.pid]


@pytest.fixture
def workers(redis_url, postgres, transactional_db):
    from dbprimary.celery import app

    pool = Workers(redis_url, f"test-reliability-{uuid.uuid4().hex[:8]}")
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    try:
        yield pool
    finally:
        app.conf.task_always_eager = True
        pool.stop_all()


def wait_for(condition, *, what: str, timeout: float = 120, procs=()):
    """Poll `condition` (every 20 ms) until it returns something truthy; fail with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"a worker exited while waiting for {what}:\n{proc.stdout.read()}")
        time.sleep(0.02)
    for proc in procs:
        proc.terminate()
    logs = "\n\n".join(proc.stdout.read()[-4000:] for proc in procs)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; worker logs:\n{logs}")


def backend_writing_accounts() -> int | None:
    """The pid of another PostgreSQL backend that has written account rows it has not committed yet.

    Inserting into a table takes a RowExclusiveLock on it until the transaction ends, so this is
    an apply that is under way: the plan is made, the accounts are going in, nothing is committed.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT l.pid FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'accounts_user' AND l.mode = 'RowExclusiveLock' AND l.granted
              AND l.pid <> pg_backend_pid() AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        )
        row = cursor.fetchone()
    return row[0] if row else None


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None
