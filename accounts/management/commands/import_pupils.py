"""python manage.py import_pupils --school SLUG FILE [--dry-run] [--create-groups] [--json]

Runs the same reading, validation and commit as the toolbox's Import page. Exit status: 0 when
imported (or, with --dry-run, when it would import; "created" is then how many it would
create), 1 when validation errors stopped it (nothing created), 2 for usage errors (unknown
school, unreadable file). Likely duplicates of existing pupils are skipped. Generated passwords
are not printed (they would end up in logs); give passwords in the file, or reset them from the
Accounts tab to print login cards.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from accounts.importer.commit import import_job_create, import_job_run, import_job_start
from accounts.importer.reader import ImportFileError
from accounts.models import ImportJob, School


class Command(BaseCommand):
    help = "Import new pupils from an .xlsx or .csv file into a school (same rules as the toolbox's Import page)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="The school's slug")
        parser.add_argument("file", help="The .xlsx or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; create nothing")
        parser.add_argument("--create-groups", action="store_true", help="Create classes the file names that do not exist")
        parser.add_argument("--json", action="store_true", help="Print one JSON object with the outcome")

    def handle(self, *args, **options):
        self.as_json = options["json"]
        school = School.objects.filter(slug=options["school"]).first()
        if school is None:
            return self._usage_error(f"There is no school with the slug {options['school']!r}.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            return self._usage_error(f"Cannot read {path}: {error.strerror or error}.")
        try:
            job = import_job_create(
                school=school, admin=None, file_name=path.name, data=data, create_groups=options["create_groups"]
            )
        except ImportFileError as error:
            return self._usage_error(str(error))

        errors = list(job.file_problems) + [p for row in job.rows for p in row["problems"]]
        skipped = job.duplicate_count
        if errors:
            job.delete()
            return self._finish(1, created=0, skipped=skipped, errors=errors, warnings=job.warnings,
                                text=f"{len(errors)} problem(s) found; nothing was imported.")
        if options["dry_run"]:
            job.delete()
            # A dry run reports what it would create.
            return self._finish(0, created=job.new_count, skipped=skipped, errors=[], warnings=job.warnings,
                                text=f"Dry run: {job.new_count} pupil(s) would be imported, {skipped} skipped.")
        if not job.new_count:
            job.delete()
            return self._finish(0, created=0, skipped=skipped, errors=[], warnings=job.warnings,
                                text=f"No new pupils to import; {skipped} skipped.")
        import_job_start(job=job, include_rows=set(), enqueue=False)
        job = import_job_run(job_id=job.pk)
        if job is None or job.stage != ImportJob.Stage.DONE:
            message = job.message if job else "The import could not start."
            return self._finish(1, created=0, skipped=skipped, errors=[{"row": None, "column": "", "message": message}],
                                warnings=[], text=message)
        return self._finish(0, created=job.created_count, skipped=skipped, errors=[], warnings=job.warnings,
                            text=f"Imported {job.created_count} pupil(s) into {school.name}; {skipped} skipped.")

    def _usage_error(self, message: str):
        if self.as_json:
            self.stdout.write(json.dumps({"created": 0, "skipped": 0, "errors": [{"row": None, "column": "", "message": message}], "warnings": []}))
        else:
            self.stderr.write(message)
        sys.exit(2)

    def _finish(self, status: int, *, created, skipped, errors, warnings, text):
        if self.as_json:
            payload = {"created": created, "skipped": skipped, "errors": errors, "warnings": warnings}
            self.stdout.write(json.dumps(payload))
        else:
            for error in errors:
                where = f"Row {error['row']}, {error['column']}: " if error.get("row") else ""
                self.stderr.write(f"{where}{error['message']}")
            for warning in warnings:
                self.stderr.write(f"Warning: {warning}")
            self.stdout.write(text)
        if status:
            sys.exit(status)
