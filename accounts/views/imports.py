"""Spreadsheet import of new pupils: template, upload, preview, confirm, progress."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from accounts.credential_sheets import credential_sheet_load
from accounts.importer.access import get_import_job_for_admin
from accounts.importer.commit import (
    import_job_create,
    import_job_rows_to_create,
    import_job_start,
    import_job_typed_passwords,
)
from accounts.importer.forms import ConfirmForm, UploadForm
from accounts.importer.reader import ImportFileError
from accounts.importer.templates import errors_xlsx, template_csv, template_xlsx
from accounts.models import ImportJob
from accounts.services.leavers import RefusedError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def upload(request):
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            job = import_job_create(
                school=request.user.school,
                admin=request.user,
                file_name=upload_file.name,
                data=upload_file.read(),
                create_groups=form.cleaned_data["create_groups"],
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("import_preview", job.pk)
    context = {
        "form": form,
        "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.IMPORT_MAX_ROWS,
    }
    return render(request, "accounts/import/upload.html", context, status=400 if form.errors else 200)


@require_GET
@admin_required
def template_xlsx_download(request):
    return _download(template_xlsx(school=request.user.school), XLSX, "pupil-import-template.xlsx")


@require_GET
@admin_required
def template_csv_download(request):
    return _download(template_csv(school=request.user.school), "text/csv; charset=utf-8", "pupil-import-template.csv")


@require_GET
@admin_required
def preview(request, job_id):
    job = get_import_job_for_admin(request, job_id)
    if job.stage != ImportJob.Stage.PREVIEW:
        return redirect("import_progress", job.pk)
    context = {
        "job": job,
        "importing": len(import_job_rows_to_create(job=job)),
        "can_import": not job.error_count and (job.new_count or job.duplicate_count),
    }
    return render(request, "accounts/import/preview.html", context)


@require_GET
@admin_required
def errors_download(request, job_id):
    job = get_import_job_for_admin(request, job_id)
    content = errors_xlsx(job=job, typed_passwords=import_job_typed_passwords(job=job))
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    safe = "".join(c if c.isalnum() or c in "-_ " else "-" for c in stem)[:80]
    return _download(content, XLSX, f"{safe} - errors.xlsx")


@require_POST
@admin_required
def confirm(request, job_id):
    job = get_import_job_for_admin(request, job_id)
    tickable = [r["row"] for r in job.rows if r["outcome"] == "duplicate" and r["duplicate_tickable"]]
    form = ConfirmForm(request.POST, tickable_rows=tickable)
    if not form.is_valid():
        messages.error(request, "Only rows marked as likely duplicates can be ticked.")
        return redirect("import_preview", job.pk)
    try:
        job = import_job_start(job=job, include_rows=set(form.cleaned_data["include"]))
    except RefusedError as error:
        messages.error(request, str(error))
        return redirect("import_preview", job.pk)
    return redirect("import_progress", job.pk)


@require_GET
@admin_required
def progress(request, job_id):
    job = get_import_job_for_admin(request, job_id)
    if job.stage == ImportJob.Stage.PREVIEW:
        return redirect("import_preview", job.pk)
    if job.stage == ImportJob.Stage.DONE and job.credentials_token:
        if credential_sheet_load(admin=request.user, token=job.credentials_token) is not None:
            messages.success(request, f"{job.created_count} pupil{'s' if job.created_count != 1 else ''} imported from {job.file_name}.")
            return redirect("credentials", job.credentials_token)
    return render(request, "accounts/import/progress.html", {"job": job})
