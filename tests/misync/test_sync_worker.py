"""End to end: beat's dispatcher queues a nightly run on real Redis; a real worker applies it to PostgreSQL."""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import time as clock

import pytest
from django.conf import settings

from accounts.models import Role, School, User
from misync.models import MisConnection, SyncRun
from misync.serialise import snapshot_to_json
from misync.tasks import dispatch_nightly_syncs
from tests.conftest import database_url_for_subprocess
from tests.misync.connectors import filler, snapshot

pytestmark = pytest.mark.services


@pytest.fixture
def sync_worker(redis_url, postgres, transactional_db):
    from dbprimary.celery import app

    queue = f"test-misync-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
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
            queue,
            "-P",
            "solo",
            "-c",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=settings.BASE_DIR,
    )
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.task_routes = {"misync.tasks.*": {"queue": queue}}
    # Celery caches its router on first use (an earlier test's apply_async may have built it), and
    # setting the option does not rebuild it: rebuild it so the routes above apply.
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
    try:
        yield proc
    finally:
        app.conf.task_routes = None
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()
        app.conf.task_always_eager = True
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


class ScheduledSyncWorkerTests:
    def test_a_scheduled_sync_runs_end_to_end_on_a_real_worker(self, sync_worker, tmp_path):
        export = tmp_path / "export.json"
        export.write_text(json.dumps(snapshot_to_json(snapshot(pupils=filler(25)))))
        school = School.objects.create(slug="worker", name="Worker Primary")
        MisConnection.objects.create(
            school=school, connector="jsonfile", base_url=str(export), enabled=True, nightly_time=clock(0, 0)
        )

        assert dispatch_nightly_syncs() == 1  # what beat calls every 15 minutes
        run = SyncRun.objects.get(school=school)

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status not in ("queued", "running"):
                break
            if sync_worker.poll() is not None:
                pytest.fail(f"worker exited early:\n{sync_worker.stdout.read()}")
            time.sleep(0.3)
        else:
            sync_worker.terminate()
            pytest.fail(f"the worker did not finish the run within 60 s:\n{sync_worker.stdout.read()}")
        assert run.status == "succeeded", run.error_message
        assert run.trigger == "nightly" and run.for_date == school.local_today() and run.created == 25
        assert User.objects.filter(school=school, role=Role.PUPIL).count() == 25
        assert dispatch_nightly_syncs() == 0  # one nightly run per local day
