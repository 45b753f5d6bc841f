"""The Wonde connector against a real local HTTP server serving the Wonde Testing School's pages."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from misync.connectors.base import ConnectorConfig, SourceError, get_connector
from tests.misync.httpserver import CannedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wonde"
SCHOOL = "A1930499544"
ROOT = f"/v1.0/schools/{SCHOOL}"


def fixture(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def serve_wonde(server: CannedServer, pages: dict[str, list[dict]]):
    """Serve each endpoint's pages in order; `next` points back at this server, as Wonde's does at itself."""

    def handler_for(endpoint):
        def handler(request):
            number = int(request.query.get("page", "1"))
            endpoint_pages = pages[endpoint]
            body = (
                copy.deepcopy(endpoint_pages[number - 1]) if number <= len(endpoint_pages) else {"data": [], "meta": {}}
            )
            more = number < len(endpoint_pages)
            body["meta"] = {
                **(body.get("meta") or {}),
                "pagination": {
                    "next": server.url(f"{ROOT}/{endpoint}?page={number + 1}") if more else None,
                    "previous": None,
                    "more": more,
                    "per_page": 50,
                    "current_page": number,
                },
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

        return handler

    for endpoint in ("students", "employees", "classes"):
        pages.setdefault(endpoint, [{"data": []}])
        server.route("GET", f"{ROOT}/{endpoint}", handler=handler_for(endpoint))


def second_page(name):
    """A second page: the same records with fresh ids, so the test can tell the pages apart."""
    page = fixture(name)
    for row in page["data"]:
        row["id"] = row["id"] + "-p2"
        if row.get("upi"):
            row["upi"] = row["upi"] + "-p2"
    return page


@pytest.fixture
def server():
    with CannedServer() as running:
        yield running


def fetch(server, **overrides):
    values = {
        "base_url": server.url("/v1.0"),
        "school_ref": SCHOOL,
        "credentials": {"token": "wonde-token"},
        "read_timeout": 5,
    }
    values.update(overrides)
    return get_connector("wonde", ConnectorConfig(**values)).fetch()


class WondeFetchTests:
    def test_it_reads_every_page_of_every_endpoint_with_the_bearer_token(self, server):
        serve_wonde(
            server,
            {
                "students": [fixture("students"), second_page("students")],
                "employees": [fixture("employees")],
                "classes": [fixture("classes")],
            },
        )
        snapshot = fetch(server)
        assert len(snapshot.pupils) == 100
        assert len(snapshot.staff) == 50
        assert len(snapshot.groups) == 50
        assert all(r.headers["Authorization"] == "Bearer wonde-token" for r in server.requests)
        student_requests = [r for r in server.requests if r.path.endswith("/students")]
        assert [r.query.get("page", "1") for r in student_requests] == ["1", "2"]
        assert student_requests[0].query["include"] == "education_details,classes,year"
        assert [r.query["include"] for r in server.requests if r.path.endswith("/employees")] == ["classes"]
        assert [r.query["include"] for r in server.requests if r.path.endswith("/classes")] == ["students,employees"]

    def test_a_pupils_mis_id_is_the_stable_upi(self, server):
        serve_wonde(server, {"students": [fixture("students")]})
        adam = fetch(server).pupils[0]
        assert adam.mis_id == "527859fd685327175d504f56888e9ca7"
        assert adam.stable_id == "527859fd685327175d504f56888e9ca7"
        assert (adam.forename, adam.surname) == ("Adam", "Pryor")

    def test_without_a_upi_the_wonde_id_is_used(self, server):
        page = fixture("students")
        page["data"][0]["upi"] = None
        serve_wonde(server, {"students": [page]})
        adam = fetch(server).pupils[0]
        assert adam.mis_id == "A87366201" and adam.stable_id is None

    def test_missing_includes_leave_the_optional_fields_empty(self, server):
        serve_wonde(server, {"students": [fixture("students")]})
        adam = fetch(server).pupils[0]
        assert adam.upn is None and adam.year_group == "" and adam.group_mis_id is None
        assert adam.start_date is None and adam.leave_date is None and adam.date_of_birth is None

    def test_education_details_year_and_classes_are_read(self, server):
        from accounts.models import upn_check_letter

        upn = upn_check_letter("826200126001") + "826200126001"
        page = fixture("students")
        page["data"][0].update(
            date_of_birth={"date": "2016-05-04 00:00:00.000000", "timezone_type": 3, "timezone": "Europe/London"},
            education_details={
                "data": {
                    "upn": upn.lower(),
                    "admission_number": "001234",
                    "current_nc_year": "5",
                    "admission_date": {"date": "2021-09-03 00:00:00.000000", "timezone": "Europe/London"},
                    "leaving_date": "2026-07-23",
                }
            },
            year={"data": {"id": "Y1", "code": "Year 5", "name": "Year 5"}},
            classes={"data": [{"id": "A1368212571", "name": "10A/As1"}]},
        )
        serve_wonde(server, {"students": [page], "classes": [fixture("classes")]})
        adam = fetch(server).pupils[0]
        assert adam.upn == upn and adam.admission_number == "001234"
        assert adam.year_group == "Y5" and adam.group_mis_id == "A1368212571"
        assert adam.start_date == date(2021, 9, 3) and adam.leave_date == date(2026, 7, 23)
        assert adam.date_of_birth == date(2016, 5, 4)

    def test_class_memberships_listed_on_the_class_fill_in_the_pupils_class(self, server):
        classes = fixture("classes")
        classes["data"][0]["students"] = {"data": [{"id": "A87366201"}]}
        classes["data"][0]["employees"] = {"data": [{"id": "A571916931"}]}
        serve_wonde(
            server, {"students": [fixture("students")], "employees": [fixture("employees")], "classes": [classes]}
        )
        snapshot = fetch(server)
        assert snapshot.pupils[0].group_mis_id == "A1368212571"
        kris = next(s for s in snapshot.staff if s.surname == "Wells")
        assert kris.group_mis_ids == ("A1368212571",) and kris.is_teacher and kris.title == "Miss"

    def test_classes_keep_their_names(self, server):
        serve_wonde(server, {"classes": [fixture("classes")]})
        group = fetch(server).groups[0]
        assert (group.mis_id, group.name) == ("A1368212571", "10A/As1")

    def test_wonde_gives_no_extraction_time(self, server):
        serve_wonde(server, {})
        snapshot = fetch(server)
        assert snapshot.as_of is None and snapshot.source == "wonde" and snapshot.school_ref == SCHOOL


class WondeErrorTests:
    def error(self, server, **overrides):
        with pytest.raises(SourceError) as caught:
            fetch(server, **overrides)
        return caught.value

    def test_a_next_page_on_another_server_is_refused_so_the_token_never_leaves(self, server):
        server.route("GET", f"{ROOT}/students", json=fixture("students"))  # next: https://api.wonde.com/…
        error = self.error(server)
        assert error.kind == "bad_format" and "another server" in error.message

    def test_a_revoked_token_is_an_auth_error(self, server):
        server.route("GET", f"{ROOT}/students", status=401, json={"error": "unauthenticated"})
        assert self.error(server).kind == "auth"

    def test_an_unknown_school_is_not_found(self, server):
        assert self.error(server, school_ref="A0000").kind == "not_found"

    def test_a_gateway_error_is_transient(self, server):
        server.route("GET", f"{ROOT}/students", status=502, body=b"Bad gateway")
        error = self.error(server)
        assert error.kind == "server_error" and not error.permanent

    def test_a_page_without_a_data_list_is_bad_format(self, server):
        server.route("GET", f"{ROOT}/students", json={"data": {"id": "A1"}})
        assert self.error(server).kind == "bad_format"

    def test_a_missing_token_is_a_config_error(self, server):
        assert self.error(server, credentials={}).kind == "config"
