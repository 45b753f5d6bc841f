"""The sync_mis command, with the static test connector as --format static."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from misync.connectors.base import SourceError
from misync.models import SyncRun
from tests.misync.connectors import connected, filler, snapshot, static_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def sync_mis(*args):
    import io

    out = io.StringIO()
    code = 0
    try:
        call_command("sync_mis", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code = exc.returncode
    text = out.getvalue()
    return code, (json.loads(text) if text.startswith("{") else text)


class SyncCommandTests:
    def test_it_syncs_from_the_schools_settings_and_prints_the_counts_as_json(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(4))
        code, result = sync_mis("--school", "a", "--date", "2026-09-10", "--json")
        assert code == 0
        assert result["status"] == "succeeded" and result["held"] is False
        assert {
            k: result[k]
            for k in (
                "created",
                "updated",
                "moved",
                "left",
                "reinstated",
                "groups_created",
                "groups_removed",
                "staff_created",
            )
        } == {
            "created": 4,
            "updated": 0,
            "moved": 0,
            "left": 0,
            "reinstated": 0,
            "groups_created": 4,
            "groups_removed": 0,
            "staff_created": 0,
        }
        assert SyncRun.objects.get().for_date == date(2026, 9, 10)

    def test_a_source_and_format_override_the_settings(self, people, static_source):
        static_source.next = snapshot(pupils=filler(2))
        code, result = sync_mis("--school", "b", "--source", "/tmp/export", "--format", "static", "--json")
        assert code == 0 and result["created"] == 2
        assert User.objects.filter(school=people.school_b, mis_id__isnull=False).count() == 2

    def test_dry_run_plans_and_changes_nothing(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(4))
        code, result = sync_mis("--school", "a", "--dry-run", "--json", "--date", "2026-09-10")
        assert code == 0 and result["created"] == 4 and result["dry_run"] is True
        assert not SyncRun.objects.exists() and not User.objects.filter(mis_id__isnull=False).exists()

    def test_a_held_run_exits_zero_with_held_true(self, connected, static_source):
        static_source.next = snapshot(pupils=filler(20))
        sync_mis("--school", "a", "--date", "2026-09-10")
        static_source.next = snapshot(pupils=[])
        code, result = sync_mis("--school", "a", "--date", "2026-09-11", "--json")
        assert code == 0 and result["held"] is True and result["status"] == "held"

    def test_a_failed_run_exits_one(self, connected, static_source):
        static_source.next = SourceError("Bad password", kind="auth", status=401)
        code, result = sync_mis("--school", "a", "--json")
        assert code == 1 and result["status"] == "failed" and result["error_kind"] == "auth"

    @pytest.mark.parametrize(
        "args, message",
        [
            (("--school", "nope"), "No school"),
            (("--school", "a", "--date", "10/09/2026"), "--date must be"),
            (("--school", "b"), "no MIS settings"),
            (("--school", "b", "--source", "x.csv", "--format", "nonsense"), "Unknown --format"),
            (("--school", "b", "--source", "x.csv"), "--format is needed"),
        ],
    )
    def test_usage_errors_exit_two(self, connected, args, message):
        with pytest.raises(CommandError, match=message) as info:
            call_command("sync_mis", *args)
        assert info.value.returncode == 2
