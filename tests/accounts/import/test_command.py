"""python manage.py import_pupils: exit codes and the JSON shape."""

import json

import pytest
from django.core.management import call_command

from accounts.models import AuditBatch, ImportJob, User

from .files import OLE2, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_pupils", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "pupils.csv"
    path.write_bytes(csv_bytes([["Zoë", "O'Brien", "Year 3 Oak"], ["Pupil", "Tester", "Year 3 Oak"]], header=["Forename", "Surname", "Class"]))
    return path


class ImportPupilsCommandTests:
    def test_it_imports_and_prints_json(self, people, good_file):
        code, out, _ = run("--school", "a", str(good_file), "--json")
        assert code == 0
        assert json.loads(out) == {"created": 1, "skipped": 1, "errors": [], "warnings": []}
        zoe = User.objects.get(username="zoeo")
        assert zoe.school == people.school_a and zoe.has_usable_password()
        batch = AuditBatch.objects.get(kind="import")
        assert batch.actor is None
        assert ImportJob.objects.get().secrets is None

    def test_a_dry_run_creates_nothing_and_exits_0(self, people, good_file):
        code, out, _ = run("--school", "a", str(good_file), "--dry-run", "--json")
        assert code == 0
        assert json.loads(out) == {"created": 1, "skipped": 1, "errors": [], "warnings": []}
        assert not User.objects.filter(username="zoeo").exists()
        assert not ImportJob.objects.exists()

    def test_validation_errors_exit_1_with_rows_and_columns(self, people, tmp_path):
        path = tmp_path / "bad.xlsx"
        path.write_bytes(xlsx_bytes([["Zoë", "", "Year 3 Oak", "", "", "", "Purple"]]))
        code, out, _ = run("--school", "a", str(path), "--json")
        assert code == 1
        assert json.loads(out) == {
            "created": 0,
            "skipped": 0,
            "errors": [
                {"row": 2, "column": "Surname", "message": "Enter a surname"},
                {"row": 2, "column": "Homepage theme", "message": "Homepage theme must be one of Early Years, Starter, Improver"},
            ],
            "warnings": [],
        }
        assert not User.objects.filter(first_name="Zoë").exists()

    def test_create_groups_creates_missing_classes(self, people, tmp_path):
        path = tmp_path / "new.csv"
        path.write_bytes(csv_bytes([["Ben", "Ray", "Year 1 Elm"]], header=["Forename", "Surname", "Group"]))
        assert run("--school", "a", str(path))[0] == 1
        code, out, _ = run("--school", "a", str(path), "--create-groups")
        assert code == 0
        assert "Imported 1 pupil(s) into Alder Primary" in out
        assert User.objects.get(username="benr").theme == "starter"

    def test_an_unknown_school_exits_2(self, people, good_file):
        code, out, _ = run("--school", "nowhere", str(good_file), "--json")
        assert code == 2
        assert json.loads(out)["errors"][0]["message"] == "There is no school with the slug 'nowhere'."

    def test_a_missing_file_exits_2(self, people, tmp_path):
        code, _, err = run("--school", "a", str(tmp_path / "missing.csv"))
        assert code == 2
        assert "Cannot read" in err

    def test_an_unreadable_file_exits_2(self, people, tmp_path):
        path = tmp_path / "old.xlsx"
        path.write_bytes(OLE2)
        code, out, _ = run("--school", "a", str(path), "--json")
        assert code == 2
        assert "save it as .xlsx" in json.loads(out)["errors"][0]["message"]
        assert not ImportJob.objects.exists()

    def test_warnings_are_reported(self, people, tmp_path):
        path = tmp_path / "extra.csv"
        path.write_bytes(csv_bytes([["Amy", "Khan", "Year 3 Oak", "x"]], header=["Forename", "Surname", "Group", "Shoe size"]))
        code, out, _ = run("--school", "a", str(path), "--json")
        assert code == 0
        assert json.loads(out)["warnings"] == ["These columns were not recognised and will be ignored: “Shoe size”."]
