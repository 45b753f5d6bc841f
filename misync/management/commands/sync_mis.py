"""python manage.py sync_mis --school SLUG [--source URL_OR_PATH] [--format F] [--org ID]
[--date YYYY-MM-DD] [--dry-run] [--json]

Runs one sync for a school now, from its MIS settings or from the given source. Exit status:
0 succeeded or held, 1 the run failed (or another run is in progress), 2 usage error.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import School
from misync.connectors.base import REGISTRY, ConnectorConfig, SourceError, get_connector
from misync.models import MisConnection, SyncRun
from misync.services import SyncAlreadyRunningError, sync_preview, sync_run_create, sync_run_execute

COUNT_KEYS = ("created", "updated", "moved", "left", "reinstated", "groups_created", "groups_removed", "staff_created")


class Command(BaseCommand):
    help = "Sync one school from its MIS now (or from --source), or show what would change (--dry-run)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--source", help="a URL, file or folder to read instead of the school's settings")
        parser.add_argument("--format", dest="fmt", help="xporter, wonde, oneroster or csv")
        parser.add_argument("--org", help="OneRoster org sourcedId or identifier, when a bundle holds several schools")
        parser.add_argument("--date", dest="for_date", help="plan as if today were this date (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="fetch and plan, change nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, school, source, fmt, org, for_date, dry_run, json: bool, **options):
        as_json = json
        target = School.objects.filter(slug=school).first()
        if target is None:
            raise CommandError(f"No school with the slug {school!r}", returncode=2)
        try:
            day = date.fromisoformat(for_date) if for_date else target.local_today()
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {for_date!r}", returncode=2) from None
        connector = self._connector(target, source=source, fmt=fmt, org=org)

        if dry_run:
            try:
                preview = sync_preview(school=target, for_date=day, connector=connector)
            except SourceError as exc:
                return self._finish(
                    as_json,
                    {
                        "status": "failed",
                        "error": exc.message,
                        "error_kind": exc.kind,
                        **dict.fromkeys(COUNT_KEYS, 0),
                        "held": False,
                        "dry_run": True,
                    },
                    code=1,
                )
            plan = preview.plan
            result = {
                "status": "held" if plan.held else "planned",
                **{k: plan.counts[k] for k in COUNT_KEYS},
                "held": plan.held,
                "dry_run": True,
                "hold_reasons": plan.hold_reasons,
                "warnings": plan.warnings,
            }
            return self._finish(as_json, result, code=0)

        try:
            run = sync_run_create(school=target, trigger=SyncRun.Trigger.MANUAL, for_date=day, source=fmt or "")
        except SyncAlreadyRunningError as exc:
            return self._finish(
                as_json,
                {"status": "already_running", "error": str(exc), **dict.fromkeys(COUNT_KEYS, 0), "held": False},
                code=1,
            )
        run = sync_run_execute(run.pk, connector=connector, final_attempt=True)
        result = {
            "run": run.pk,
            "status": run.status,
            **{k: getattr(run, k) for k in COUNT_KEYS},
            "held": run.status == SyncRun.Status.HELD,
        }
        if run.status == SyncRun.Status.HELD:
            result["hold_reasons"] = run.hold_reasons
        if run.status == SyncRun.Status.FAILED:
            result.update(error=run.error_message, error_kind=run.error_kind)
        return self._finish(as_json, result, code=1 if run.status == SyncRun.Status.FAILED else 0)

    def _connector(self, school, *, source, fmt, org):
        """The connector to read: the school's settings, or --source/--format/--org over them."""
        import misync.connectors  # noqa: F401  (registers every connector)

        connection = MisConnection.objects.filter(school=school).first()
        if not (source or fmt or org):
            if connection is None:
                raise CommandError(f"{school.name} has no MIS settings; give --source and --format", returncode=2)
            return None  # the run reads the school's settings
        name = fmt or (connection.connector if connection else "")
        if not name:
            raise CommandError("--format is needed with --source for a school without MIS settings", returncode=2)
        if name not in REGISTRY:
            known = ", ".join(sorted(REGISTRY)) or "none installed"
            raise CommandError(f"Unknown --format {name!r} (available: {known})", returncode=2)
        same = connection is not None and connection.connector == name
        config = ConnectorConfig(
            base_url=source or (connection.base_url if same else ""),
            school_ref=org or (connection.school_ref if same else ""),
            credentials=connection.get_credentials() if same else {},
        )
        if not config.base_url:
            raise CommandError("--source is needed: the school's settings are for another format", returncode=2)
        return get_connector(name, config)

    def _finish(self, as_json, result, *, code):
        if as_json:
            self.stdout.write(json.dumps(result, default=str))
        else:
            counts = ", ".join(f"{k.replace('_', ' ')} {result[k]}" for k in COUNT_KEYS)
            self.stdout.write(f"{result['status']}: {counts}")
            for reason in result.get("hold_reasons", []):
                self.stdout.write(f"held: {reason}")
            if result.get("error"):
                self.stderr.write(result["error"])
        if code:
            raise SystemExit(code)
