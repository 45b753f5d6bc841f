"""The OneRoster 1.1 CSV connector on bundles as real systems write them: zip and folder, bulk and
delta, byte-order marks, reordered and extra columns, absent and empty files, several schools."""

import csv
import io
import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from misync.connectors.base import ConnectorConfig, SourceError, get_connector
from tests.misync.httpserver import CannedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oneroster"


def fetch(location, school_ref=""):
    return get_connector("oneroster", ConnectorConfig(base_url=str(location), school_ref=school_ref)).fetch()


def copy_bundle(name, tmp_path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def zip_folder(folder: Path, target: Path, *, prefix="") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


def by_id(items):
    return {item.mis_id: item for item in items}


class OneRosterBulkTests:
    def test_a_folder_bundle_for_one_school_of_a_trust(self, tmp_path):
        snapshot = fetch(FIXTURES / "trust-bulk", school_ref="ORG-ALDER")
        assert snapshot.source == "oneroster" and snapshot.complete
        assert snapshot.school_ref == "8261001"  # the org's identifier
        assert set(by_id(snapshot.pupils)) == {"U-A1", "U-A2", "U-A3"}
        assert set(by_id(snapshot.groups)) == {"CL-A5W", "CL-A6P", "CL-AR"}
        assert set(by_id(snapshot.staff)) == {"U-T1"}

    def test_the_school_can_be_named_by_its_identifier(self):
        snapshot = fetch(FIXTURES / "trust-bulk", school_ref="8261002")
        assert set(by_id(snapshot.pupils)) == {"U-B1"}
        assert by_id(snapshot.staff)["U-T2"].group_mis_ids == ("CL-B3A",)

    def test_the_same_bundle_zipped_reads_the_same(self, tmp_path):
        archive = zip_folder(FIXTURES / "trust-bulk", tmp_path / "bundle.zip", prefix="export/")
        assert fetch(archive, "ORG-ALDER") == fetch(FIXTURES / "trust-bulk", "ORG-ALDER")

    def test_a_zip_at_a_url_is_downloaded(self, tmp_path):
        archive = zip_folder(FIXTURES / "trust-bulk", tmp_path / "bundle.zip")
        with CannedServer() as server:
            server.route("GET", "/exports/oneroster.zip", body=archive.read_bytes())
            snapshot = fetch(server.url("/exports/oneroster.zip"), "ORG-BIRCH")
        assert set(by_id(snapshot.pupils)) == {"U-B1"}

    def test_pupils_are_normalised_from_users_and_enrollments(self):
        pupils = by_id(fetch(FIXTURES / "trust-bulk", "ORG-ALDER").pupils)
        amy, cara, ben = pupils["U-A1"], pupils["U-A2"], pupils["U-A3"]
        assert (amy.forename, amy.surname, amy.upn, amy.year_group) == ("Amy", "Patel", "J826200100001", "Y6")
        # Every enrollment of Amy's ends: that is her leave date.
        assert amy.leave_date == date(2026, 7, 23) and amy.group_mis_id == "CL-A6P"
        # Cara moved class on 20 July: her open enrollment is the current one, and she is not leaving.
        assert cara.group_mis_id == "CL-A6P" and cara.leave_date is None
        assert cara.surname == "Nowak" and cara.admission_number == "001302"
        assert cara.start_date == date(2025, 9, 3)
        assert (ben.year_group, ben.start_date, ben.group_mis_id) == ("R", date(2026, 9, 3), "CL-AR")

    def test_classes_and_teachers(self):
        snapshot = fetch(FIXTURES / "trust-bulk", "ORG-ALDER")
        willow = by_id(snapshot.groups)["CL-A5W"]
        assert (willow.name, willow.code, willow.year_group) == ("Year 5 Willow", "5W", "Y5")
        helen = by_id(snapshot.staff)["U-T1"]
        assert helen.group_mis_ids == ("CL-A5W",) and helen.is_teacher and helen.email == "hparker@alder.example"

    def test_as_of_is_the_latest_modification_in_the_bundle(self):
        assert fetch(FIXTURES / "trust-bulk", "ORG-ALDER").as_of == datetime(2026, 7, 2, 3, 10, tzinfo=UTC)


class OneRosterSeveralSchoolsTests:
    def test_a_bundle_with_several_schools_and_no_choice_is_refused_listing_them(self):
        with pytest.raises(SourceError) as caught:
            fetch(FIXTURES / "trust-bulk")
        error = caught.value
        assert error.kind == "config" and error.permanent
        assert "Alder Primary School (sourcedId ORG-ALDER, identifier 8261001)" in error.message
        assert "Birch Primary School (sourcedId ORG-BIRCH, identifier 8261002)" in error.message
        assert "Oakfield Learning Trust" not in error.message  # the district is not a school

    def test_an_unknown_school_is_refused_listing_the_schools(self):
        with pytest.raises(SourceError) as caught:
            fetch(FIXTURES / "trust-bulk", "ORG-CEDAR")
        assert caught.value.kind == "config" and "ORG-ALDER" in caught.value.message

    def test_a_bundle_with_one_school_needs_no_choice(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        orgs = (bundle / "orgs.csv").read_text().splitlines()
        (bundle / "orgs.csv").write_text("\n".join(line for line in orgs if "ORG-BIRCH," not in line) + "\n")
        snapshot = fetch(bundle)
        assert set(by_id(snapshot.pupils)) == {"U-A1", "U-A2", "U-A3"}


class OneRosterDeltaTests:
    def test_a_delta_is_incomplete_and_lists_explicit_deletions(self):
        snapshot = fetch(FIXTURES / "school-delta")
        assert snapshot.complete is False
        assert snapshot.deleted_pupil_ids == ("U-A1",)
        assert snapshot.deleted_staff_ids == ("U-T9",)
        assert set(by_id(snapshot.pupils)) == {"U-A2", "U-A4"}
        assert by_id(snapshot.pupils)["U-A4"].group_mis_id == "CL-A5W"

    def test_absent_files_are_never_read_as_delete_everything(self):
        snapshot = fetch(FIXTURES / "school-delta")
        # classes.csv is absent: no classes, and none deleted.
        assert snapshot.groups == () and snapshot.deleted_group_ids == ()

    def test_a_bulk_manifest_with_an_absent_users_file_is_incomplete(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        manifest = (bundle / "manifest.csv").read_text().replace("file.users,bulk", "file.users,absent")
        (bundle / "manifest.csv").write_text(manifest)
        (bundle / "users.csv").unlink()
        snapshot = fetch(bundle, "ORG-ALDER")
        assert snapshot.complete is False and snapshot.pupils == () and snapshot.deleted_pupil_ids == ()

    def test_a_file_the_manifest_promises_but_the_bundle_lacks_is_bad_format(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        (bundle / "enrollments.csv").unlink()
        with pytest.raises(SourceError) as caught:
            fetch(bundle, "ORG-ALDER")
        assert caught.value.kind == "bad_format" and "enrollments.csv" in caught.value.message

    def test_tobedeleted_classes_are_listed_as_deleted(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        classes = (bundle / "classes.csv").read_text().replace("CL-AR,active", "CL-AR,tobedeleted")
        (bundle / "classes.csv").write_text(classes)
        snapshot = fetch(bundle, "ORG-ALDER")
        assert snapshot.deleted_group_ids == ("CL-AR",) and "CL-AR" not in by_id(snapshot.groups)


class OneRosterMessyFileTests:
    def test_byte_order_marks_and_crlf_line_endings(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        for path in bundle.iterdir():
            path.write_bytes(b"\xef\xbb\xbf" + path.read_text().replace("\n", "\r\n").encode())
        assert fetch(bundle, "ORG-ALDER") == fetch(FIXTURES / "trust-bulk", "ORG-ALDER")

    def test_reordered_and_extra_columns(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        for name in ("users.csv", "enrollments.csv", "classes.csv", "orgs.csv"):
            rows = list(csv.DictReader(io.StringIO((bundle / name).read_text())))
            columns = list(reversed(list(rows[0].keys()))) + ["metadata.extra"]
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "metadata.extra": "x"})
            (bundle / name).write_text(out.getvalue())
        assert fetch(bundle, "ORG-ALDER") == fetch(FIXTURES / "trust-bulk", "ORG-ALDER")

    def test_an_empty_file_and_a_file_without_a_final_newline(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        (bundle / "academicSessions.csv").write_bytes(b"")
        (bundle / "users.csv").write_text((bundle / "users.csv").read_text().rstrip("\n"))
        snapshot = fetch(bundle, "ORG-ALDER")
        assert set(by_id(snapshot.pupils)) == {"U-A1", "U-A2", "U-A3"}

    def test_a_header_only_users_file_has_no_pupils(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        header = (bundle / "users.csv").read_text().splitlines()[0]
        (bundle / "users.csv").write_text(header)
        assert fetch(bundle, "ORG-ALDER").pupils == ()

    def test_a_users_file_without_sourced_ids_is_bad_format(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        (bundle / "users.csv").write_text("id,givenName\n1,Amy\n")
        with pytest.raises(SourceError) as caught:
            fetch(bundle, "ORG-ALDER")
        assert caught.value.kind == "bad_format" and "sourcedid" in caught.value.message

    def test_a_bad_enrollment_date_names_the_row(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        lines = (bundle / "enrollments.csv").read_text().splitlines()
        lines[1] = lines[1].replace("2025-09-03,2026-07-23", "2025-09-03,23rd July")
        lines.insert(1, ",,,,,,,,,")  # a blank row before it still counts as a line
        (bundle / "enrollments.csv").write_text("\n".join(lines) + "\n")
        with pytest.raises(SourceError) as caught:
            fetch(bundle, "ORG-ALDER")
        assert caught.value.kind == "bad_format" and "enrollments.csv row 3:" in caught.value.message

    def test_a_missing_manifest_reads_the_files_present_as_bulk_with_a_warning(self, tmp_path):
        bundle = copy_bundle("trust-bulk", tmp_path)
        (bundle / "manifest.csv").unlink()
        snapshot = fetch(bundle, "ORG-ALDER")
        assert snapshot.complete and len(snapshot.pupils) == 3
        assert any("manifest" in warning for warning in snapshot.warnings)

    def test_something_that_is_not_a_zip_is_bad_format(self, tmp_path):
        (tmp_path / "bundle.zip").write_text("not a zip")
        with pytest.raises(SourceError) as caught:
            fetch(tmp_path / "bundle.zip")
        assert caught.value.kind == "bad_format"

    def test_a_path_that_does_not_exist_is_not_found(self, tmp_path):
        with pytest.raises(SourceError) as caught:
            fetch(tmp_path / "nowhere")
        assert caught.value.kind == "not_found"

    def test_a_zip_bomb_is_refused_without_unpacking_it(self, tmp_path, monkeypatch):
        from misync.connectors import oneroster

        monkeypatch.setattr(oneroster, "MAX_FILE_BYTES", 10_000)
        archive = tmp_path / "bomb.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bomb:
            bomb.writestr("users.csv", "sourcedId\n" + "0" * 1_000_000)
        assert archive.stat().st_size < 10_000
        with pytest.raises(SourceError) as caught:
            fetch(archive)
        assert caught.value.kind == "bad_format" and "larger than" in caught.value.message
