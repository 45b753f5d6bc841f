"""The Import pages through the HTTP client: upload, preview, confirm, progress, credentials."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditBatch, AuditEntry, Group, GroupMembership, ImportJob, User

from .files import OLE2, csv_bytes, xlsx_bytes, zip_bomb_bytes

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    ["Zoë", "O'Brien", "Year 3 Oak", "", "", "1001", ""],
    ["Ben", "Ray", "Year 3 Oak", "BenR", "sunny-day", "", "Starter"],
]


def upload(client, data, name="pupils.xlsx", **extra):
    return client.post(reverse("import_upload"), {"file": SimpleUploadedFile(name, data), **extra})


def job_for(response) -> ImportJob:
    assert response.status_code == 302, getattr(response, "content", b"")[:2000]
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


class UploadPageTests:
    def test_the_upload_page_links_the_templates(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("import_upload"))
        assert response.status_code == 200
        assert reverse("import_template_xlsx").encode() in response.content
        assert reverse("import_template_csv").encode() in response.content

    def test_the_toolbox_has_an_import_link_and_card(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("toolbox"))
        assert response.content.count(reverse("import_upload").encode()) >= 2

    def test_pupils_and_teachers_get_a_404(self, client, people):
        for persona in (people.pupil, people.teacher):
            client.force_login(persona)
            assert client.get(reverse("import_upload")).status_code == 404

    def test_a_renamed_xls_gets_a_clear_message_beside_the_field(self, client, people):
        client.force_login(people.admin)
        response = upload(client, OLE2)
        assert response.status_code == 400
        assert b"error-summary" in response.content
        assert b'href="#id_file"' in response.content
        assert "save it as .xlsx" in response.content.decode()
        assert not ImportJob.objects.exists()

    def test_a_zip_bomb_is_refused(self, client, people):
        client.force_login(people.admin)
        response = upload(client, zip_bomb_bytes())
        assert response.status_code == 400
        assert "expands to far more data" in response.content.decode()

    def test_a_file_over_the_size_limit_is_refused_before_parsing(self, client, people, settings):
        settings.IMPORT_MAX_BYTES = 1000
        client.force_login(people.admin)
        response = upload(client, csv_bytes([["Zoë", "O'Brien", "Year 3 Oak"]] * 100), name="p.csv")
        assert response.status_code == 400
        assert b"The file must be smaller than" in response.content
        assert not ImportJob.objects.exists()

    def test_no_file_asks_for_one(self, client, people):
        client.force_login(people.admin)
        response = client.post(reverse("import_upload"), {})
        assert response.status_code == 400
        assert b"Choose a spreadsheet file to upload" in response.content

    def test_upload_without_a_csrf_token_is_refused(self, people):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(people.admin)
        response = upload(client, xlsx_bytes(GOOD_ROWS))
        assert response.status_code == 403
        assert not ImportJob.objects.exists()


class PreviewTests:
    def test_a_good_file_previews_every_row_and_creates_nothing(self, client, people):
        client.force_login(people.admin)
        before = User.objects.count()
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        response = client.get(reverse("import_preview", args=[job.pk]))
        content = response.content.decode()
        assert response.status_code == 200
        assert "<code>zoeo</code>" in content and "(made for you)" in content
        assert "<code>BenR</code>" in content
        assert "sunny-day" not in content  # typed passwords are never shown back
        assert 'type="submit" class="button">Import pupils' in content
        assert User.objects.count() == before
        assert job.new_count == 2 and job.error_count == 0

    def test_typed_passwords_are_stored_only_encrypted(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        job.refresh_from_db()
        assert b"sunny-day" not in bytes(job.secrets)
        assert "sunny-day" not in str(job.rows)

    def test_errors_disable_the_import_and_are_listed_with_rows_and_columns(self, client, people):
        client.force_login(people.admin)
        rows = GOOD_ROWS + [["", "Nobody", "Year 9", "", "", "", "Purple"]]
        job = job_for(upload(client, csv_bytes(rows, delimiter=";"), name="p.csv"))
        content = client.get(reverse("import_preview", args=[job.pk])).content.decode()
        assert "Row 4, Forename: Enter a forename" in content
        assert "Row 4, Homepage theme: Homepage theme must be one of Early Years, Starter, Improver" in content
        assert 'disabled aria-disabled="true">Import pupils' in content
        assert reverse("import_errors_xlsx", args=[job.pk]) in content

    def test_a_5001_row_file_is_refused_with_the_limit_and_cannot_be_imported(self, client, people):
        client.force_login(people.admin)
        rows = [[f"Pupil{i}", "Smith", "Year 3 Oak"] for i in range(5001)]
        job = job_for(upload(client, xlsx_bytes(rows, header=["Forename", "Surname", "Group"])))
        content = client.get(reverse("import_preview", args=[job.pk])).content.decode()
        assert "The file has more than 5,000 pupils; the most you can import at once is 5,000." in content
        assert 'disabled aria-disabled="true">Import pupils' in content
        response = client.post(reverse("import_confirm", args=[job.pk]), follow=True)
        assert "Fix the errors in the file" in response.content.decode()
        assert not User.objects.filter(first_name="Pupil0").exists()

    def test_confirming_a_file_with_errors_is_refused(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, csv_bytes(GOOD_ROWS + [["", "X", "Year 3 Oak"]]), name="p.csv"))
        response = client.post(reverse("import_confirm", args=[job.pk]), follow=True)
        assert "Fix the errors in the file" in response.content.decode()
        assert not User.objects.filter(first_name="Zoë").exists()
        job.refresh_from_db()
        assert job.stage == "preview"

    def test_the_errors_file_has_an_errors_column_and_neutralised_cells(self, client, people):
        client.force_login(people.admin)
        rows = [["Zoë", "O'Brien", "Year 3 Oak", "", "tiny", "", ""], ["@Bob", "-Smith", "Nowhere", "", "", "", ""]]
        job = job_for(upload(client, csv_bytes(rows), name="p.csv"))
        response = client.get(reverse("import_errors_xlsx", args=[job.pk]))
        assert response.status_code == 200
        ws = load_workbook(io.BytesIO(response.content)).active
        values = [[c.value for c in row] for row in ws.iter_rows()]
        assert values[0][-1] == "Errors"
        assert values[1][4] == "tiny"  # the admin's own typed password comes back so they can fix it
        assert values[1][-1] == "Password: Password must be at least 6 characters"
        assert values[2][0] == "'@Bob" and values[2][1] == "'-Smith"
        assert "There is no class called" in values[2][-1]

    def test_the_preview_runs_a_fixed_number_of_queries(self, client, people, django_assert_num_queries):
        client.force_login(people.admin)
        small = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        big = job_for(upload(client, xlsx_bytes([[f"P{i}", "Smith", "Year 3 Oak"] for i in range(200)], header=["Forename", "Surname", "Group"])))
        with django_assert_num_queries(3) as small_queries:
            client.get(reverse("import_preview", args=[small.pk]))
        with django_assert_num_queries(3):
            client.get(reverse("import_preview", args=[big.pk]))
        assert len(small_queries) == 3


class ConfirmTests:
    def test_confirming_creates_every_pupil_in_one_audit_batch_and_shows_the_credentials(
        self, client, people, django_capture_on_commit_callbacks
    ):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("import_confirm", args=[job.pk]))
        assert response.url == reverse("import_progress", args=[job.pk])
        response = client.get(response.url)
        job.refresh_from_db()
        assert job.stage == "done" and job.created_count == 2
        assert response.url == reverse("credentials", args=[job.credentials_token])
        page = client.get(response.url).content.decode()
        assert "<code>zoeo</code>" in page and "<code>BenR</code>" in page
        assert "<code>sunny-day</code>" in page
        assert client.get(reverse("credentials_pdf", args=[job.credentials_token])).status_code == 200

        zoe = User.objects.get(username="zoeo")
        ben = User.objects.get(username="BenR")
        assert zoe.school == people.school_a and zoe.role == "pupil" and zoe.admission_number == "1001"
        assert zoe.year_group == "Y3" and zoe.theme == "improver" and not zoe.theme_pinned
        assert ben.theme == "starter" and ben.theme_pinned
        assert ben.check_password("sunny-day")
        assert GroupMembership.objects.filter(user__in=[zoe, ben], group=people.class_a, end_date=None).count() == 2
        batch = AuditBatch.objects.get(kind="import")
        assert batch.actor == people.admin and job.batch == batch
        assert set(AuditEntry.objects.filter(batch=batch).values_list("target_id", flat=True)) == {zoe.pk, ben.pk}
        assert job.secrets is None  # typed passwords are gone after the commit
        assert "sunny-day" not in str(list(AuditEntry.objects.values()))

    def test_confirming_twice_imports_once(self, client, people, django_capture_on_commit_callbacks):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("import_confirm", args=[job.pk]))
            response = client.post(reverse("import_confirm", args=[job.pk]), follow=True)
        assert User.objects.filter(username__in=["zoeo", "BenR"]).count() == 2
        assert AuditBatch.objects.filter(kind="import").count() == 1
        assert response.status_code == 200

    def test_likely_duplicates_are_skipped_unless_ticked(self, client, people, django_capture_on_commit_callbacks):
        client.force_login(people.admin)
        rows = GOOD_ROWS + [["Pupil", "Tester", "Year 3 Oak", "", "", "", ""]]
        job = job_for(upload(client, xlsx_bytes(rows)))
        assert b'name="include" value="4"' in client.get(reverse("import_preview", args=[job.pk])).content
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("import_confirm", args=[job.pk]))
        assert User.objects.filter(school=people.school_a, first_name="Pupil", last_name="Tester").count() == 1

        job = job_for(upload(client, xlsx_bytes([["Pupil", "Tester", "Year 3 Oak", "", "", "", ""]])))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("import_confirm", args=[job.pk]), {"include": ["2"]})
        assert User.objects.filter(school=people.school_a, first_name="Pupil", last_name="Tester").count() == 2
        assert User.objects.filter(username="pupilt").exists()

    def test_a_row_that_is_not_a_duplicate_cannot_be_ticked(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        response = client.post(reverse("import_confirm", args=[job.pk]), {"include": ["2"]}, follow=True)
        assert "Only rows marked as likely duplicates can be ticked." in response.content.decode()
        assert not User.objects.filter(username="zoeo").exists()

    def test_create_missing_classes_creates_them_in_the_same_batch(self, client, people, django_capture_on_commit_callbacks):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes([["Ben", "Ray", "Reception Robins"]], header=["First name", "Last name", "Class"]), create_groups="on"))
        assert "These classes will be created: Reception Robins." in client.get(reverse("import_preview", args=[job.pk])).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("import_confirm", args=[job.pk]))
        group = Group.objects.get(school=people.school_a, name="Reception Robins")
        assert group.year_group == "R"
        ben = User.objects.get(username="benr")
        assert ben.theme == "early_years" and ben.year_group == "R"
        assert AuditEntry.objects.filter(target_type="group", target_id=group.pk, batch__kind="import").exists()

    def test_confirm_is_post_only(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        assert client.get(reverse("import_confirm", args=[job.pk])).status_code == 405
        job.refresh_from_db()
        assert job.stage == "preview"

    def test_confirm_without_a_csrf_token_is_refused(self, client, people):
        from django.test import Client

        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(people.admin)
        assert strict.post(reverse("import_confirm", args=[job.pk])).status_code == 403
        job.refresh_from_db()
        assert job.stage == "preview"


class ProgressTests:
    def test_a_queued_import_shows_its_progress_and_refreshes(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        ImportJob.objects.filter(pk=job.pk).update(stage="hashing", progress_total=2, progress_done=1)
        response = client.get(reverse("import_progress", args=[job.pk]))
        content = response.content.decode()
        assert "Preparing passwords: 1 of 2 (50%)" in content
        assert '<meta http-equiv="refresh" content="2">' in content

    def test_a_finished_import_whose_passwords_expired_says_so(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        ImportJob.objects.filter(pk=job.pk).update(stage="done", created_count=2, credentials_token="gone")
        response = client.get(reverse("import_progress", args=[job.pk]))
        assert response.status_code == 200
        assert "Their passwords are no longer available here" in response.content.decode()


class TenantIsolationTests:
    """School B's admin (and another admin of School A) gets a 404 for every import URL of someone else's job."""

    @pytest.fixture
    def job(self, client, people):
        client.force_login(people.admin)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        client.logout()
        return job

    @pytest.mark.parametrize("name", ["import_preview", "import_errors_xlsx", "import_progress"])
    @pytest.mark.parametrize("persona", ["admin_b", "superadmin"])
    def test_other_admins_get_a_404_for_the_get_pages(self, client, people, job, name, persona):
        client.force_login(getattr(people, persona))
        assert client.get(reverse(name, args=[job.pk])).status_code == 404

    @pytest.mark.parametrize("persona", ["admin_b", "superadmin"])
    def test_other_admins_get_a_404_when_confirming(self, client, people, job, persona):
        client.force_login(getattr(people, persona))
        assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 404
        job.refresh_from_db()
        assert job.stage == "preview"

    def test_school_b_admin_gets_their_own_schools_classes_in_the_template(self, client, people):
        client.force_login(people.admin_b)
        response = client.get(reverse("import_template_xlsx"))
        wb = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in wb["Lists"]["B"] if c.value] == ["Year 3 Ash"]

    def test_school_b_admin_cannot_import_into_school_a_classes(self, client, people):
        client.force_login(people.admin_b)
        job = job_for(upload(client, xlsx_bytes(GOOD_ROWS)))
        assert job.school == people.school_b
        assert job.error_count == 2  # "Year 3 Oak" is School A's class


class TemplateDownloadTests:
    def test_the_xlsx_template_has_instructions_headers_an_example_and_drop_downs(self, client, people):
        Group.objects.create(school=people.school_a, name="Robins", year_group="R")
        client.force_login(people.admin)
        response = client.get(reverse("import_template_xlsx"))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="pupil-import-template.xlsx"'
        wb = load_workbook(io.BytesIO(response.content))
        assert wb.sheetnames == ["Instructions", "Pupils", "Lists"]
        assert "How to fill in" in wb["Instructions"]["A1"].value
        pupils = wb["Pupils"]
        assert [c.value for c in pupils[1]] == [
            "Forename", "Surname", "Group", "Username", "Password", "Admission number", "Homepage theme"
        ]
        assert pupils["A2"].value == "Zoë" and pupils["C2"].value == "Robins"
        assert pupils.column_dimensions["A"].width >= 15
        validations = {str(dv.sqref): dv.formula1 for dv in pupils.data_validations.dataValidation}
        assert validations["G2:G5001"] == "Lists!$A$1:$A$3"
        assert validations["C2:C5001"] == "Lists!$B$1:$B$2"
        assert [c.value for c in wb["Lists"]["A"]] == ["Early Years", "Starter", "Improver"]
        assert [c.value for c in wb["Lists"]["B"] if c.value] == ["Robins", "Year 3 Oak"]

    def test_the_filled_in_template_imports(self, client, people):
        client.force_login(people.admin)
        wb = load_workbook(io.BytesIO(client.get(reverse("import_template_xlsx")).content))
        wb["Pupils"].append(["Amy", "Khan", "Year 3 Oak", None, None, None, "Starter"])
        out = io.BytesIO()
        wb.save(out)
        job = job_for(upload(client, out.getvalue()))
        assert [r["forename"] for r in job.rows] == ["Zoë", "Amy"]
        assert job.error_count == 0

    def test_the_csv_template_is_utf8_with_a_bom(self, client, people):
        client.force_login(people.admin)
        response = client.get(reverse("import_template_csv"))
        assert response.content.startswith(b"\xef\xbb\xbfForename,Surname,Group,Username,Password,Admission number,Homepage theme\r\n")
        assert "Zoë".encode() in response.content
