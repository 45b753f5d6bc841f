"""A real Celery worker runs an import, and the progress page follows it through the database."""

import time

import pytest
from django.urls import reverse

from accounts.importer.commit import import_job_create, import_job_start
from accounts.importer.tasks import run_import_job
from accounts.models import ImportJob, User

from .files import xlsx_bytes

pytestmark = pytest.mark.services


class ImportWorkerTests:
    def test_a_real_worker_imports_and_the_admin_gets_the_credentials(self, celery_worker_process, people, client):
        queue, proc = celery_worker_process
        job = import_job_create(
            school=people.school_a,
            admin=people.admin,
            file_name="september.xlsx",
            data=xlsx_bytes([["Amy", "Khan", "Year 3 Oak"], ["Ben", "Ray", "Year 3 Oak"]], header=["Forename", "Surname", "Group"]),
            create_groups=False,
        )
        import_job_start(job=job, include_rows=set(), enqueue=False)
        client.force_login(people.admin)
        response = client.get(reverse("import_progress", args=[job.pk]))
        assert b"Importing pupils" in response.content

        run_import_job.apply_async(args=[job.pk], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.stage in ("done", "failed"):
                break
            if proc.poll() is not None:
                pytest.fail(f"worker exited early:\n{proc.stdout.read()}")
            time.sleep(0.3)
        else:
            proc.terminate()
            pytest.fail(f"the worker did not finish the import within 60 s:\n{proc.stdout.read()}")
        assert job.stage == "done", job.message
        assert User.objects.filter(school=people.school_a, first_name__in=["Amy", "Ben"]).count() == 2
        response = client.get(reverse("import_progress", args=[job.pk]))
        assert response.url == reverse("credentials", args=[job.credentials_token])
        assert b"<code>amyk</code>" in client.get(response.url).content
        assert ImportJob.objects.get(pk=job.pk).secrets is None
