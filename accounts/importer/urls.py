from django.urls import path

from accounts.views import imports

urlpatterns = [
    path("", imports.upload, name="import_upload"),
    path("template.xlsx", imports.template_xlsx_download, name="import_template_xlsx"),
    path("template.csv", imports.template_csv_download, name="import_template_csv"),
    path("<int:job_id>/", imports.preview, name="import_preview"),
    path("<int:job_id>/errors.xlsx", imports.errors_download, name="import_errors_xlsx"),
    path("<int:job_id>/confirm/", imports.confirm, name="import_confirm"),
    path("<int:job_id>/progress/", imports.progress, name="import_progress"),
]
