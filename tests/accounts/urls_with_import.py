"""The project's URLs plus a stand-in for the import's upload page (built on another branch),
so the wizard's "import the new intake" link can be tested with and without it."""

from django.http import HttpResponse
from django.urls import path

from dbprimary.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("import-stand-in/", lambda request: HttpResponse("import"), name="import_upload"),
]
