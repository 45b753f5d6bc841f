"""The Xporter connector against a real local HTTP server serving Groupcall's recorded responses."""

import json
import socket
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from misync.connectors.base import ConnectorConfig, SourceError, get_connector
from tests.misync.httpserver import CannedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "xporter"
ESTAB = "3281101"
ROOT = f"/api/v1/School/{ESTAB}"
TOKEN_PATH = "/idaas/sts/STS/GetToken"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def page_handler(pages: dict[str, dict], empty: dict):
    def handler(request):
        body = pages.get(request.query.get("page", "1"), empty)
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    return handler


def serve_xporter(server: CannedServer, *, students=None):
    server.route("POST", TOKEN_PATH, json={"token": "tok-123", "expires": "2018-06-24T18:55:26.1852229Z"})
    server.route(
        "GET",
        f"{ROOT}/Students/",
        handler=page_handler(
            students or {"1": fixture("students_1.json"), "2": fixture("students_2.json")}, {"Students": [], "meta": []}
        ),
    )
    server.route("GET", f"{ROOT}/Groups/", handler=page_handler({"1": fixture("groups.json")}, {"Group": []}))
    server.route("GET", f"{ROOT}/Staff/", handler=page_handler({"1": fixture("staff.json")}, {"Staff": []}))


def config(server, **overrides):
    values = {
        "base_url": server.url(),
        "school_ref": ESTAB,
        "credentials": {"relying_party": "relying-party.com", "third_party_id": "tp-1", "password": "s3cret"},
        "connect_timeout": 2,
        "read_timeout": 5,
    }
    values.update(overrides)
    return ConnectorConfig(**values)


@pytest.fixture
def server():
    with CannedServer() as running:
        yield running


def fetch(server, **overrides):
    return get_connector("xporter", config(server, **overrides)).fetch()


class XporterFetchTests:
    def test_it_exchanges_the_credentials_for_a_token_and_sends_it_on_every_data_request(self, server):
        serve_xporter(server)
        fetch(server)
        token_request = server.requests[0]
        assert token_request.path == TOKEN_PATH
        assert token_request.json() == {
            "relyingParty": "relying-party.com",
            "thirdPartyId": "tp-1",
            "estab": ESTAB,
            "password": "s3cret",
        }
        data_requests = [r for r in server.requests if r.method == "GET"]
        assert data_requests and all(r.headers["Authorization"] == "Idaas tok-123" for r in data_requests)

    def test_it_reads_both_pages_of_students_and_stops_at_the_page_count(self, server):
        serve_xporter(server)
        snapshot = fetch(server)
        assert [p.mis_id for p in snapshot.pupils] == ["3116", "3217", "3221", "3920"]
        student_pages = [r.query.get("page", "1") for r in server.requests if r.path == f"{ROOT}/Students/"]
        # Page 2 still carries a NextPage of 3, but its PageCount is 2.
        assert student_pages == ["1", "2"]

    def test_it_asks_for_leavers_and_pre_admissions_on_every_page(self, server):
        serve_xporter(server)
        fetch(server)
        student_requests = [r for r in server.requests if r.path == f"{ROOT}/Students/"]
        assert all(r.query["options"] == "includeLeavers,includePreAdmissions" for r in student_requests)
        assert next(r.query["type"] for r in server.requests if r.path == f"{ROOT}/Groups/") == "RegGrp"

    def test_it_normalises_the_pupils_as_the_mis_wrote_them(self, server):
        serve_xporter(server)
        albus, harry, _, draco = fetch(server).pupils
        assert (albus.forename, albus.surname, albus.admission_number) == ("Albus", "Dumbledore", "001275")
        assert albus.year_group == "Y4"  # "Year  4"
        assert draco.year_group == "N2"  # "Year  N2"
        assert albus.group_mis_id == "188"
        assert albus.start_date == date(2012, 9, 1)
        assert albus.date_of_birth == date(2009, 1, 12)
        assert albus.leave_date is None and albus.on_roll
        assert harry.upn is None

    def test_the_extraction_time_becomes_an_aware_as_of_in_uk_time(self, server):
        serve_xporter(server)
        snapshot = fetch(server)
        # 02:14:47 BST on 20 June 2018 is 01:14:47 UTC.
        assert snapshot.as_of == datetime(2018, 6, 20, 1, 14, 47, 85000, tzinfo=UTC)
        assert snapshot.source == "xporter" and snapshot.school_ref == ESTAB and snapshot.complete

    def test_registration_groups_come_from_the_students_when_the_group_list_lacks_them(self, server):
        serve_xporter(server)
        snapshot = fetch(server)
        groups = {g.mis_id: g for g in snapshot.groups}
        # groups.json holds only year groups (Type YearGrp), which are not classes.
        assert set(groups) == {"188", "180", "186"}
        assert groups["180"].name == "3TO" and groups["180"].year_group == "Y3"

    def test_staff_are_attached_to_the_classes_named_in_their_reg_group(self, server):
        serve_xporter(server)
        staff = {s.mis_id: s for s in fetch(server).staff}
        assert staff["2"].group_mis_ids == ("186",)  # "N1 PM,AM": AM is class 186
        assert staff["2"].is_teacher is False and staff["2"].active
        assert staff["3"].group_mis_ids == ()
        assert (staff["3"].title, staff["3"].forename, staff["3"].surname) == ("Mrs", "Valerie", "Cloves")

    def test_it_reads_leavers_and_pre_admissions_with_their_dates(self, server):
        page = fixture("students_1.json")
        page["Students"][0].update(StudentStatus="Leaver", LeavingDate="2026-07-23T00:00:00")
        page["Students"][1].update(StudentStatus="PreAdmission", EntryDate="2026-09-03")
        page["__pagination__"] = []
        serve_xporter(server, students={"1": page})
        albus, harry = fetch(server).pupils
        assert albus.leave_date == date(2026, 7, 23) and not albus.on_roll
        assert harry.start_date == date(2026, 9, 3) and not harry.on_roll

    def test_records_missing_optional_fields_still_become_pupils(self, server):
        sparse = fixture("students_3.json")  # rows with nothing but an Id
        serve_xporter(server, students={"1": sparse})
        pupils = fetch(server).pupils
        assert [(p.mis_id, p.forename, p.year_group, p.group_mis_id) for p in pupils] == [
            ("3116", "", "", None),
            ("3217", "", "", None),
        ]

    def test_a_value_that_is_not_a_date_is_a_warning_not_a_failure(self, server):
        page = fixture("students_1.json")
        page["Students"][0]["EntryDate"] = "sometime"
        page["__pagination__"] = []
        serve_xporter(server, students={"1": page})
        snapshot = fetch(server)
        assert snapshot.pupils[0].start_date is None
        assert any("EntryDate" in warning for warning in snapshot.warnings)


class XporterErrorTests:
    def kind_of(self, server, **overrides):
        with pytest.raises(SourceError) as caught:
            fetch(server, **overrides)
        return caught.value

    def test_a_refused_token_is_an_auth_error(self, server):
        server.route(
            "POST", TOKEN_PATH, status=401, json={"Message": "Authorization has been denied for this request."}
        )
        error = self.kind_of(server)
        assert error.kind == "auth" and error.permanent and error.status == 401
        assert "denied" in error.detail

    def test_a_forbidden_data_request_is_an_auth_error(self, server):
        serve_xporter(server)
        server.route("GET", f"{ROOT}/Students/", status=403, json={"Message": "Forbidden"})
        assert self.kind_of(server).kind == "auth"

    def test_a_missing_endpoint_is_not_found(self, server):
        server.route("POST", TOKEN_PATH, json={"token": "tok-123"})
        error = self.kind_of(server)  # no Students route: the server answers 404
        assert error.kind == "not_found" and error.permanent

    def test_a_server_error_with_the_xporter_error_body_is_transient(self, server):
        serve_xporter(server)
        server.route("GET", f"{ROOT}/Students/", status=500, json=fixture("error_response.json"))
        error = self.kind_of(server)
        assert error.kind == "server_error" and not error.permanent
        assert "Something went wrong" in error.detail

    def test_an_error_body_with_a_200_status_is_still_an_error(self, server):
        serve_xporter(server)
        server.route("GET", f"{ROOT}/Students/", json=fixture("error_response.json"))
        error = self.kind_of(server)
        assert error.kind == "server_error" and "Something went wrong" in error.message

    def test_an_error_body_about_credentials_is_an_auth_error(self, server):
        serve_xporter(server)
        body = {
            "Message": None,
            "ExceptionType": "SecurityException",
            "ExceptionMessage": "Invalid token",
            "InnerException": None,
        }
        server.route("GET", f"{ROOT}/Staff/", json=body)
        assert self.kind_of(server).kind == "auth"

    def test_a_body_that_is_not_json_is_bad_format(self, server):
        serve_xporter(server)
        server.route(
            "GET", f"{ROOT}/Students/", body=b"<html>Proxy login</html>", headers={"Content-Type": "text/html"}
        )
        error = self.kind_of(server)
        assert error.kind == "bad_format" and error.permanent

    def test_students_of_the_wrong_type_are_bad_format(self, server):
        serve_xporter(server)
        server.route("GET", f"{ROOT}/Students/", json={"Students": "nobody", "meta": []})
        assert self.kind_of(server).kind == "bad_format"

    def test_a_token_response_without_a_token_is_an_auth_error(self, server):
        server.route("POST", TOKEN_PATH, json={"expires": "2018-06-24T18:55:26Z"})
        assert self.kind_of(server).kind == "auth"

    def test_a_closed_port_is_unreachable_and_transient(self, server):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        error = self.kind_of(server, base_url=f"http://127.0.0.1:{port}")
        assert error.kind == "unreachable" and not error.permanent

    def test_a_server_slower_than_the_read_timeout_is_unreachable(self, server):
        serve_xporter(server)

        def slow(request):
            time.sleep(1.5)
            return 200, {}, b"{}"

        server.route("POST", TOKEN_PATH, handler=slow)
        started = time.monotonic()
        error = self.kind_of(server, read_timeout=0.3)
        assert error.kind == "unreachable"
        assert time.monotonic() - started < 1.4

    def test_missing_settings_are_a_config_error_before_any_request(self, server):
        error = self.kind_of(server, credentials={"relying_party": "rp"})
        assert error.kind == "config" and "password" in error.message
        assert server.requests == []

    @pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
    def test_a_certificate_that_cannot_be_verified_is_unreachable(self):
        with CannedServer(tls=True) as tls_server:
            serve_xporter(tls_server)
            with pytest.raises(SourceError) as caught:
                fetch(tls_server)
            assert caught.value.kind == "unreachable" and "certificate" in caught.value.message
            assert tls_server.requests == []  # nothing, not even the password, was sent
            # The same server is readable when verification is switched off, so it was the check that refused.
            assert len(fetch(tls_server, verify_tls=False).pupils) == 4

    def test_an_address_without_a_scheme_is_a_config_error(self, server):
        error = self.kind_of(server, base_url="xporter.example.com")
        assert error.kind == "config" and error.permanent

    def test_a_custom_token_url_is_used(self, server):
        serve_xporter(server)
        server.route("POST", "/login/token", json={"token": "tok-123"})
        fetch(server, credentials={"relying_party": "rp", "password": "pw", "token_url": server.url("/login/token")})
        assert server.requests[0].path == "/login/token"
