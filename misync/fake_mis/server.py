"""The fake MIS's HTTP side: Xporter- and Wonde-shaped endpoints, the control API and `FakeMis`."""

import hashlib
import json
import sys
import threading
import zlib
from datetime import date, datetime, timedelta
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from misync.connectors.base import ConnectorConfig
from misync.fake_mis.data import YEAR_NAMES, FakeClass, FakePupil, FakeSchoolData, FakeStaff, _year_rank
from misync.normalise import UK

SCENARIOS = ("normal", "year-end")
FAILURES = ("none", "down", "401", "404", "500", "malformed", "stale", "empty")

RELYING_PARTY = "fake-mis"
THIRD_PARTY_ID = "dbprimary"
PASSWORD = "fake-mis-password"
WONDE_TOKEN = "fake-wonde-token"

XPORTER_YEAR_LABELS = {
    "N1": "Year  N1",
    "N2": "Year  N2",
    "R": "Reception",
    "Y1": "Year  1",
    "Y2": "Year  2",
    "Y3": "Year  3",
    "Y4": "Year  4",
    "Y5": "Year  5",
    "Y6": "Year  6",
}
WONDE_NC_YEARS = {"N1": "N1", "N2": "N2", "R": "R", "Y1": "1", "Y2": "2", "Y3": "3", "Y4": "4", "Y5": "5", "Y6": "6"}


# --- Rendering the data as each middleware would --------------------------------------------


def _iso(value: date | None) -> str | None:
    return f"{value.isoformat()}T00:00:00" if value else None


def _wonde_date(value) -> dict | None:
    if value is None:
        return None
    text = (
        value.strftime("%Y-%m-%d %H:%M:%S.000000")
        if isinstance(value, datetime)
        else f"{value.isoformat()} 00:00:00.000000"
    )
    return {"date": text, "timezone_type": 3, "timezone": "Europe/London"}


def _upi(kind: str, mis_id: str) -> str:
    return hashlib.md5(f"{kind}:{mis_id}".encode()).hexdigest()  # an id, not security


def _wonde_id(kind: str, mis_id: str) -> str:
    return f"A{zlib.crc32(f'{kind}:{mis_id}'.encode())}"


class _Render:
    """One request's view of the data, for the fake's `today` and switches."""

    def __init__(self, data: FakeSchoolData, *, today: date, failure: str):
        self.data = data
        self.today = today
        self.failure = failure
        self.classes_by_id = {c.mis_id: c for c in data.classes}

    @cached_property
    def pupils_by_class(self) -> dict[str, list[FakePupil]]:
        grouped: dict[str, list[FakePupil]] = {}
        for pupil in self.pupils():
            grouped.setdefault(pupil.class_id, []).append(pupil)
        return grouped

    def pupils(self) -> list[FakePupil]:
        return [] if self.failure == "empty" else list(self.data.pupils)

    def status(self, pupil: FakePupil) -> str:
        if pupil.leave_date and pupil.leave_date < self.today:
            return "Leaver"
        if pupil.start_date and pupil.start_date > self.today:
            return "PreAdmission"
        return "OnRoll"

    # Xporter

    def xporter_student(self, pupil: FakePupil) -> dict:
        klass = self.classes_by_id.get(pupil.class_id)
        return {
            "Id": pupil.mis_id,
            "XID": f"x{pupil.mis_id}",
            "ExternalId": _upi("pupil", pupil.mis_id),
            "IdaasId": f"PL-{pupil.mis_id}",
            "Forename": pupil.forename,
            "Surname": pupil.surname,
            "LegalForename": pupil.forename,
            "LegalSurname": pupil.surname,
            "DisplayName": f"{pupil.forename} {pupil.surname}",
            "AdmissionNo": pupil.admission_number,
            "UPN": pupil.upn,
            "Gender": None,
            "RegGroupId": pupil.class_id,
            "RegGroup": klass.code if klass else None,
            "YearGroupId": str(20 + _year_rank(pupil.year_group)) if pupil.year_group else None,
            "YearGroup": XPORTER_YEAR_LABELS.get(pupil.year_group),
            "DateofBirth": pupil.date_of_birth.isoformat() if pupil.date_of_birth else None,
            "EntryDate": _iso(pupil.start_date),
            "LeavingDate": _iso(pupil.leave_date),
            "StudentStatus": self.status(pupil),
            "LastUpdated": "2026-01-05T02:07:21.03",
        }

    def xporter_group(self, klass: FakeClass) -> dict:
        teacher = next((s.mis_id for s in self.data.staff if klass.mis_id in s.class_ids), None)
        return {
            "Id": klass.mis_id,
            "XID": f"x{klass.mis_id}",
            "IdaasId": f"GR-{klass.mis_id}",
            "Type": "RegGrp",
            "Code": klass.code,
            "Name": klass.name,
            "PrimaryStaffId": teacher,
            "Staff": None,
            "NumStudents": len(self.pupils_by_class.get(klass.mis_id, [])),
            "LastUpdated": "2026-01-05T01:38:21.48",
        }

    def xporter_staff(self, member: FakeStaff) -> dict:
        codes = [self.classes_by_id[c].code for c in member.class_ids if c in self.classes_by_id]
        return {
            "Id": member.mis_id,
            "XID": f"x{member.mis_id}",
            "Title": member.title or None,
            "StaffCode": None,
            "StaffStatus": "Current",
            "Forename": member.forename,
            "Surname": member.surname,
            "DisplayName": f"{member.title} {member.forename[:1]} {member.surname}".strip(),
            "WorkEmail": member.email,
            "LegalForename": member.forename,
            "LegalSurname": member.surname,
            "IsTeacher": 1 if member.is_teacher else 0,
            "IsSupport": 0 if member.is_teacher else 1,
            "RegGroup": ",".join(codes) or None,
            "LastUpdated": "2026-01-05T01:29:18.57",
        }

    # Wonde

    def wonde_class(self, klass: FakeClass, include: set[str]) -> dict:
        row = {
            "id": _wonde_id("class", klass.mis_id),
            "mis_id": klass.mis_id,
            "name": klass.name,
            "code": klass.code,
            "description": klass.name,
            "subject": None,
            "alternative": None,
            "priority": None,
            "academic_year": None,
            "restored_at": None,
            "meta": None,
        }
        if "students" in include:
            row["students"] = {
                "data": [self.wonde_student(p, set()) for p in self.pupils_by_class.get(klass.mis_id, [])]
            }
        if "employees" in include:
            row["employees"] = {
                "data": [self.wonde_employee(s, set()) for s in self.data.staff if klass.mis_id in s.class_ids]
            }
        return row

    def wonde_student(self, pupil: FakePupil, include: set[str]) -> dict:
        row = {
            "id": _wonde_id("pupil", pupil.mis_id),
            "upi": _upi("pupil", pupil.mis_id),
            "mis_id": pupil.mis_id,
            "initials": f"{pupil.forename[:1]}{pupil.surname[:1]}",
            "surname": pupil.surname,
            "forename": pupil.forename,
            "middle_names": None,
            "legal_surname": pupil.surname,
            "legal_forename": pupil.forename,
            "gender": None,
            "date_of_birth": _wonde_date(pupil.date_of_birth),
            "restored_at": None,
        }
        if "education_details" in include:
            row["education_details"] = {
                "data": {
                    "id": row["id"],
                    "upn": pupil.upn,
                    "admission_number": pupil.admission_number,
                    "current_nc_year": WONDE_NC_YEARS.get(pupil.year_group),
                    "admission_date": _wonde_date(pupil.start_date),
                    "leaving_date": _wonde_date(pupil.leave_date),
                }
            }
        if "year" in include:
            row["year"] = (
                {
                    "data": {
                        "id": f"Y{pupil.year_group}",
                        "code": WONDE_NC_YEARS.get(pupil.year_group),
                        "name": YEAR_NAMES.get(pupil.year_group),
                        "description": YEAR_NAMES.get(pupil.year_group),
                        "type": "YEAR",
                    }
                }
                if pupil.year_group
                else {"data": None}
            )
        if "classes" in include:
            klass = self.classes_by_id.get(pupil.class_id)
            row["classes"] = {"data": [self.wonde_class(klass, set())] if klass else []}
        return row

    def wonde_employee(self, member: FakeStaff, include: set[str]) -> dict:
        row = {
            "id": _wonde_id("staff", member.mis_id),
            "upi": _upi("staff", member.mis_id),
            "mis_id": member.mis_id,
            "initials": f"{member.forename[:1]}{member.surname[:1]}",
            "title": member.title or None,
            "surname": member.surname,
            "forename": member.forename,
            "middle_names": None,
            "legal_surname": member.surname,
            "legal_forename": member.forename,
            "gender": None,
            "date_of_birth": None,
            "restored_at": None,
        }
        if "classes" in include:
            row["classes"] = {
                "data": [
                    self.wonde_class(self.classes_by_id[c], set()) for c in member.class_ids if c in self.classes_by_id
                ]
            }
        return row


# --- The server ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeMIS/1.0"
    fake: "FakeMis"
    control_only = False

    def log_message(self, format, *args):
        if self.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = parts.path
        if path.startswith("/__fake__/"):
            return self._control(method, path, query, body)
        if self.control_only:
            return self._send(404, {"Message": "This is the fake MIS's control port"})
        failure = self.fake.failure
        if failure in ("401", "404", "500"):
            return self._send(int(failure), _ERROR_BODIES[failure])
        if method == "POST" and path == "/idaas/sts/STS/GetToken":
            return self._token(body)
        segments = [s for s in path.split("/") if s]
        if method == "GET" and segments[:3] == ["api", "v1", "School"] and len(segments) == 5:
            return self._xporter(segments[3], segments[4], query)
        if method == "GET" and segments[:2] == ["v1.0", "schools"] and len(segments) == 4:
            return self._wonde(segments[2], segments[3], query)
        return self._send(404, _ERROR_BODIES["404"])

    # control

    def _control(self, method, path, query, body):
        if method == "GET" and path == "/__fake__/state":
            return self._send(200, self.fake.state())
        values = dict(query)
        if body:
            try:
                parsed = json.loads(body)
                values.update(parsed if isinstance(parsed, dict) else {})
            except ValueError:
                values.update({k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()})
        try:
            if method == "POST" and path == "/__fake__/failure":
                self.fake.set_failure(str(values.get("failure", "")))
            elif method == "POST" and path == "/__fake__/scenario":
                self.fake.set_scenario(str(values.get("scenario", "")))
            else:
                return self._send(404, {"error": "unknown control endpoint"})
        except ValueError as exc:
            return self._send(400, {"error": str(exc)})
        return self._send(200, self.fake.state())

    # Xporter

    def _token(self, body):
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        if (
            not isinstance(request, dict)
            or request.get("password") != self.fake.password
            or str(request.get("estab")) != self.fake.data.school_ref
        ):
            return self._send(401, _ERROR_BODIES["401"])
        expires = (datetime.now(UK) + timedelta(hours=1)).astimezone(UK).isoformat()
        return self._send(200, {"token": self.fake.token, "expires": expires})

    def _xporter(self, estab, endpoint, query):
        if self.headers.get("Authorization") != f"Idaas {self.fake.token}":
            return self._send(401, _ERROR_BODIES["401"])
        render = self.fake.render()
        if estab != render.data.school_ref:
            return self._send(404, _ERROR_BODIES["404"])
        if endpoint == "Students":
            options = {o.strip().lower() for o in query.get("options", "").split(",")}
            hidden = set()
            if "includeleavers" not in options:
                hidden.add("Leaver")
            if "includepreadmissions" not in options:
                hidden.add("PreAdmission")
            items = [p for p in render.pupils() if render.status(p) not in hidden]
            key, draw, extra = "Students", render.xporter_student, {"StudentSiblings": []}
        elif endpoint == "Groups":
            items = list(render.data.classes) if query.get("type") in (None, "RegGrp") else []
            key, draw, extra = (
                "Group",
                render.xporter_group,
                {"StaffMembers": [], "StudentMembers": [], "GroupTypes": []},
            )
        elif endpoint == "Staff":
            items, key, draw, extra = list(render.data.staff), "Staff", render.xporter_staff, {}
        else:
            return self._send(404, _ERROR_BODIES["404"])
        if render.failure == "malformed":
            return self._send(200, {key: {"Id": "1", "note": "one record where a list belongs"}, "meta": "n/a"})
        page, size = _int(query.get("page"), 1), max(1, min(_int(query.get("pageSize"), 100), 5000))
        count = max(1, -(-len(items) // size))
        extracted = datetime.now(UK).replace(tzinfo=None, microsecond=0)
        if render.failure == "stale":
            extracted -= timedelta(days=3)
        return self._send(
            200,
            {
                key: [draw(item) for item in items[(page - 1) * size : page * size]],
                **extra,
                "meta": [{"Id": 1, "MIS": "fakemis", "Version": "1", "DateTime": extracted.isoformat()}]
                if page == 1
                else [],
                # Like the real service, NextPage is written even on the last page.
                "__pagination__": [
                    {
                        "PageSize": size,
                        "PageNumber": page,
                        "PageCount": count,
                        "RowCount": len(items),
                        "NextPage": f"?page={page + 1}&pageSize={size}",
                    }
                ],
            },
        )

    # Wonde

    def _wonde(self, school_id, endpoint, query):
        if self.headers.get("Authorization") != f"Bearer {self.fake.wonde_token}":
            return self._send(401, {"error": "unauthenticated", "error_description": "Invalid token"})
        render = self.fake.render()
        if school_id != render.data.wonde_id:
            return self._send(404, {"error": "not_found", "error_description": "School not found"})
        if endpoint == "students":
            # Wonde's students are those on roll or leaving; pre-admissions are not listed.
            items, draw = [p for p in render.pupils() if render.status(p) != "PreAdmission"], render.wonde_student
        elif endpoint == "employees":
            items, draw = list(render.data.staff), render.wonde_employee
        elif endpoint == "classes":
            items, draw = list(render.data.classes), render.wonde_class
        else:
            return self._send(404, {"error": "not_found"})
        if render.failure == "malformed":
            return self._send(200, {"data": {"id": "A1", "note": "one record where a list belongs"}, "meta": []})
        include = {part.strip() for part in query.get("include", "").split(",") if part.strip()}
        page, size = _int(query.get("page"), 1), max(1, min(_int(query.get("per_page"), 50), 500))
        more = page * size < len(items)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"

        def page_url(number):
            return f"http://{host}/v1.0/schools/{school_id}/{endpoint}?" + urlencode(
                {**query, "page": number}, safe=","
            )

        return self._send(
            200,
            {
                "data": [draw(item, include) for item in items[(page - 1) * size : page * size]],
                "meta": {
                    "pagination": {
                        "next": page_url(page + 1) if more else None,
                        "previous": page_url(page - 1) if page > 1 else None,
                        "more": more,
                        "per_page": size,
                        "current_page": page,
                    }
                },
            },
        )

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_ERROR_BODIES = {
    "401": {
        "Message": "Authorization has been denied for this request.",
        "ExceptionType": None,
        "ExceptionMessage": None,
        "InnerException": None,
    },
    "404": {
        "Message": "No HTTP resource was found that matches the request URI.",
        "ExceptionType": None,
        "ExceptionMessage": None,
        "InnerException": None,
    },
    "500": {"Message": None, "ExceptionType": None, "ExceptionMessage": "Something went wrong", "InnerException": None},
}


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up mid-response is normal for an MIS; anything else is reported.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Listener:
    def __init__(self, fake, host, port, *, control_only=False):
        handler = type("Handler", (_Handler,), {"fake": fake, "control_only": control_only})
        self.server = _Server((host, port), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class FakeMis:
    """A running fake MIS. `FakeMis.start(school=...)` in tests; `manage.py fake_mis` for the demo."""

    def __init__(
        self,
        data: FakeSchoolData,
        *,
        host="127.0.0.1",
        scenario="normal",
        failure="none",
        today: date | None = None,
        verbose=False,
    ):
        self.base_data = data
        self.host = host
        self.today = today
        self.verbose = verbose
        self.token = hashlib.sha256(f"{data.school_ref}:{id(self)}".encode()).hexdigest()[:32]
        self.password = PASSWORD
        self.wonde_token = WONDE_TOKEN
        self.lock = threading.Lock()
        self.scenario = "normal"
        self.failure = "none"
        self.data = data
        self.listener = None
        self.control = None
        self.port = None
        self.set_scenario(scenario)

    @classmethod
    def start(
        cls,
        *,
        school=None,
        data: FakeSchoolData | None = None,
        port: int = 0,
        control_port: int = 0,
        host: str = "127.0.0.1",
        scenario: str = "normal",
        failure: str = "none",
        today: date | None = None,
        verbose: bool = False,
    ) -> "FakeMis":
        """Serve `data`, or the given School (instance or slug), on `port` (0: a free one)."""
        if data is None:
            if school is None:
                raise ValueError("FakeMis.start needs a school or data")
            if isinstance(school, str):
                from accounts.models import School

                school = School.objects.get(slug=school)
            data = FakeSchoolData.from_school(school)
        fake = cls(data, host=host, scenario=scenario, today=today, verbose=verbose)
        fake.listener = _Listener(fake, host, port)
        fake.port = fake.listener.port
        fake.control = _Listener(fake, host, control_port, control_only=True)
        fake.set_failure(failure)
        return fake

    # --- addresses and settings to point a school at it ------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.control.port}"

    @property
    def wonde_base_url(self) -> str:
        return f"{self.base_url}/v1.0"

    def xporter_config(self, **overrides) -> ConnectorConfig:
        values = {
            "base_url": self.base_url,
            "school_ref": self.data.school_ref,
            "credentials": {
                "relying_party": RELYING_PARTY,
                "third_party_id": THIRD_PARTY_ID,
                "password": self.password,
            },
            "connect_timeout": 2,
            "read_timeout": 10,
        }
        return ConnectorConfig(**{**values, **overrides})

    def wonde_config(self, **overrides) -> ConnectorConfig:
        values = {
            "base_url": self.wonde_base_url,
            "school_ref": self.data.wonde_id,
            "credentials": {"token": self.wonde_token},
            "connect_timeout": 2,
            "read_timeout": 10,
        }
        return ConnectorConfig(**{**values, **overrides})

    # --- switches ----------------------------------------------------------------------------

    def local_today(self) -> date:
        return self.today or datetime.now(UK).date()

    def set_scenario(self, scenario: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"Unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
        with self.lock:
            self.scenario = scenario
            self.data = self.base_data.year_end(today=self.local_today()) if scenario == "year-end" else self.base_data

    def set_failure(self, failure: str) -> None:
        if failure not in FAILURES:
            raise ValueError(f"Unknown failure {failure!r}; choose one of {', '.join(FAILURES)}")
        stopping = None
        with self.lock:
            self.failure = failure
            if failure == "down":
                stopping, self.listener = self.listener, None
            elif self.listener is None and self.port is not None:
                # Back up on the same port, so the school's settings still point at it.
                self.listener = _Listener(self, self.host, self.port)
        # Stopped outside the lock: requests being served may be waiting for it.
        if stopping is not None:
            stopping.stop()

    def render(self) -> _Render:
        with self.lock:
            return _Render(self.data, today=self.local_today(), failure=self.failure)

    def state(self) -> dict:
        return {
            "school": self.data.name,
            "estab": self.data.school_ref,
            "wonde_school_id": self.data.wonde_id,
            "scenario": self.scenario,
            "failure": self.failure,
            "pupils": len(self.data.pupils),
            "classes": len(self.data.classes),
            "staff": len(self.data.staff),
        }

    def stop(self) -> None:
        with self.lock:
            listeners, self.listener, self.control = [self.listener, self.control], None, None
        for listener in listeners:
            if listener is not None:
                listener.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
