"""A realistic fake MIS for the demo, for tests and for benchmarks (`manage.py fake_mis`).

It serves one school the way Groupcall Xporter on Demand and Wonde do:

    POST /idaas/sts/STS/GetToken                         Xporter token exchange
    GET  /api/v1/School/{estab}/Students/|Groups/|Staff/  paginated (__pagination__, meta[0].DateTime)
    GET  /v1.0/schools/{school_id}/students|employees|classes   paginated (meta.pagination)

and a control API that needs no credentials, on the same port and on a separate control port
(which stays up while the MIS is "down"):

    GET  /__fake__/state
    POST /__fake__/failure   failure=none|down|401|404|500|malformed|stale|empty
    POST /__fake__/scenario  scenario=normal|year-end

The data is a `FakeSchoolData`, a plain frozen description built either from a school's
current accounts and classes (`FakeSchoolData.from_school`, so the demo school pointed at it
matches its pupils by UPN and admission number and gets no duplicates) or generated without
a database (`FakeSchoolData.generate(n_pupils=1000, seed=1)`). Ids are stable: an account's
own MIS id when it has one, otherwise one derived from its primary key.

Failure switches:
- down       the data listener is closed: connections are refused;
- 401 / 404  every data and token request gets that status with an Xporter-style error body;
- 500        an Xporter error body ("Something went wrong") with status 500;
- malformed  200 with JSON of the wrong shape (a record where a list of records belongs);
- stale      Xporter's meta[0].DateTime is three days old (Wonde has no such field);
- empty      no students (classes and staff are still listed).
"""

from misync.fake_mis.data import FakeClass, FakePupil, FakeSchoolData, FakeStaff
from misync.fake_mis.server import FAILURES, PASSWORD, RELYING_PARTY, SCENARIOS, THIRD_PARTY_ID, WONDE_TOKEN, FakeMis

__all__ = [
    "FAILURES",
    "PASSWORD",
    "RELYING_PARTY",
    "SCENARIOS",
    "THIRD_PARTY_ID",
    "WONDE_TOKEN",
    "FakeClass",
    "FakeMis",
    "FakePupil",
    "FakeSchoolData",
    "FakeStaff",
]
