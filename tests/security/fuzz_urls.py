"""A URLconf for the upload fuzzer's own test: the project's URLs plus one deliberately fragile upload."""

import io

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_http_methods

from accounts.access import admin_required


@admin_required
@require_http_methods(["GET", "POST"])
def fragile_upload(request):
    if request.method == "POST":
        from openpyxl import load_workbook

        load_workbook(io.BytesIO(request.FILES["spreadsheet"].read()))  # no error handling: junk is a 500
        return HttpResponse("ok")
    return HttpResponse(
        '<form method="post" enctype="multipart/form-data"><input type="file" name="spreadsheet"></form>',
        content_type="text/html; charset=utf-8",
    )


urlpatterns = [
    path("fragile-upload/", fragile_upload, name="fragile_upload"),
    path("", include("dbprimary.urls")),
]
