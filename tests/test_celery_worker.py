"""A real Celery worker against real Redis and PostgreSQL sees a task through to the database."""

import time
from datetime import timedelta

import pytest

from accounts.models import User
from accounts.services.audit import AuditContext
from accounts.services.leavers import accounts_mark_left
from accounts.tasks import purge_school_leavers

pytestmark = pytest.mark.services


class CeleryWorkerTests:
    def test_a_real_worker_purges_an_expired_leaver(self, celery_worker_process, people):
        queue, proc = celery_worker_process
        old = people.school_a.local_today() - timedelta(days=400)
        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        accounts_mark_left(ctx=ctx, account_ids={people.pupil.pk}, leave_date=old)

        purge_school_leavers.apply_async(args=[people.school_a.pk], queue=queue)

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not User.objects.filter(pk=people.pupil.pk).exists():
                break
            if proc.poll() is not None:
                pytest.fail(f"worker exited early:\n{proc.stdout.read()}")
            time.sleep(0.3)
        else:
            proc.terminate()
            pytest.fail(f"the worker did not purge the leaver within 60 s:\n{proc.stdout.read()}")
        assert User.objects.filter(pk=people.pupil_b.pk).exists()
