"""Wonde (DESIGN §7).

Config: `base_url` is the API root (default https://api.wonde.com/v1.0), `school_ref` the Wonde
school id ("A1930499544"), credentials `token` (sent as a Bearer token).

Students come with `education_details`, `classes` and `year`; employees with `classes`; classes
with `students` and `employees`. Pages are followed through `meta.pagination.next` while
`meta.pagination.more`, and only on the same server (the token must not leak elsewhere).

Ids: a pupil's `mis_id` is Wonde's `upi` when present (stable across re-admission, where
Wonde's own `id` changes), else `id`; `stable_id` is the `upi`. Classes use Wonde's `id`,
which is what students' and employees' class lists refer to. Wonde lists every class the MIS
has (registration and teaching groups); a pupil's class is the first one listed for them.
Wonde has no extraction time, so `as_of` is None.
"""

from urllib.parse import quote, urlencode

from misync import normalise
from misync.connectors.base import Connector, SourceError, register
from misync.connectors.common import Problems, finish_snapshot
from misync.connectors.http import HttpClient, same_origin
from misync.snapshot import SnapshotGroup, SnapshotPupil, SnapshotStaff

DEFAULT_BASE_URL = "https://api.wonde.com/v1.0"
MAX_PAGES = 2000
PER_PAGE = 200


@register
class WondeConnector(Connector):
    name = "wonde"

    def fetch(self):
        config = self.config
        base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        school_id = normalise.clean(config.school_ref)
        token = (config.credentials or {}).get("token")
        if not school_id or not token:
            what = ", ".join(([] if school_id else ["school id"]) + ([] if token else ["token"]))
            raise SourceError(f"The Wonde settings are incomplete: {what}", kind="config")
        root = f"{base_url}/schools/{quote(school_id, safe='')}/"
        with HttpClient(config, headers={"Authorization": f"Bearer {token}"}) as http:
            students = self._pages(http, root + "students", {"include": "education_details,classes,year"})
            employees = self._pages(http, root + "employees", {"include": "classes"})
            classes = self._pages(http, root + "classes", {"include": "students,employees"})
        return self._snapshot(school_id, students, employees, classes)

    def _pages(self, http: HttpClient, url: str, params: dict) -> list[dict]:
        url = f"{url}?{urlencode({**params, 'per_page': PER_PAGE}, safe=',')}"
        first_url, rows, seen = url, [], set()
        for _ in range(MAX_PAGES):
            seen.add(url)
            body = http.json("GET", url)
            if not isinstance(body, dict):
                raise SourceError("Wonde sent a page that is not an object", kind="bad_format", url=url)
            data = body.get("data")
            if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
                raise SourceError("Wonde sent a page without a list of records", kind="bad_format", url=url)
            rows.extend(data)
            pagination = (body.get("meta") or {}).get("pagination") if isinstance(body.get("meta"), dict) else None
            if not isinstance(pagination, dict) or not pagination.get("more") or not data:
                return rows
            next_url = pagination.get("next")
            if not isinstance(next_url, str) or not next_url:
                return rows
            if not same_origin(next_url, first_url):
                raise SourceError("Wonde pointed the next page at another server", kind="bad_format", url=next_url)
            if next_url in seen:
                return rows
            url = next_url
        raise SourceError(f"Wonde kept sending pages beyond {MAX_PAGES}", kind="bad_format", url=url)

    def _snapshot(self, school_id, students, employees, classes):
        problems = Problems()
        groups, class_pupils, class_staff = [], {}, {}
        for row in classes:
            class_id = normalise.identifier(row.get("id"))
            if class_id is None:
                problems.add("A class without an id was skipped")
                continue
            groups.append(
                SnapshotGroup(
                    mis_id=class_id,
                    name=normalise.name(row.get("name"))
                    or normalise.name(row.get("description"))
                    or f"Class {class_id}",
                    code=normalise.name(row.get("code")),
                )
            )
            for student in _included(row, "students"):
                class_pupils.setdefault(normalise.identifier(student.get("id")), class_id)
            for employee in _included(row, "employees"):
                class_staff.setdefault(normalise.identifier(employee.get("id")), []).append(class_id)

        pupils = [p for p in (self._pupil(row, class_pupils, problems) for row in students) if p is not None]
        staff = [s for s in (self._staff(row, class_staff, problems) for row in employees) if s is not None]
        return finish_snapshot(
            source=self.name,
            school_ref=school_id,
            as_of=None,
            groups=groups,
            pupils=pupils,
            staff=staff,
            warnings=problems.as_list(),
        )

    def _pupil(self, row, class_pupils, problems) -> SnapshotPupil | None:
        wonde_id = normalise.identifier(row.get("id"))
        upi = normalise.identifier(row.get("upi"))
        mis_id = upi or wonde_id
        if mis_id is None:
            problems.add("A student without an id was skipped")
            return None
        details = _included_one(row, "education_details")
        year = _included_one(row, "year")
        classes = _included(row, "classes")
        group_id = normalise.identifier(classes[0].get("id")) if classes else class_pupils.get(wonde_id)

        dates = {}
        for field, source, key in (
            ("start_date", details, "admission_date"),
            ("leave_date", details, "leaving_date"),
            ("date_of_birth", row, "date_of_birth"),
        ):
            try:
                dates[field] = normalise.parse_date(source.get(key))
            except ValueError:
                problems.add(f"Student {mis_id}: {key} {source.get(key)!r} is not a date and was ignored")
                dates[field] = None
        raw_upn = details.get("upn")
        upn = normalise.valid_upn(raw_upn)
        if raw_upn and upn is None:
            problems.add(f"Student {mis_id}: UPN {raw_upn!r} is not a valid UPN and was ignored")
        year_group = (
            normalise.year_group(details.get("current_nc_year"))
            or normalise.year_group(year.get("code"))
            or normalise.year_group(year.get("name"))
        )
        return SnapshotPupil(
            mis_id=mis_id,
            forename=normalise.name(row.get("forename")) or normalise.name(row.get("legal_forename")),
            surname=normalise.name(row.get("surname")) or normalise.name(row.get("legal_surname")),
            upn=upn,
            admission_number=normalise.identifier(details.get("admission_number")),
            year_group=year_group,
            group_mis_id=group_id,
            stable_id=upi,
            **dates,
        )

    def _staff(self, row, class_staff, problems) -> SnapshotStaff | None:
        wonde_id = normalise.identifier(row.get("id"))
        mis_id = normalise.identifier(row.get("upi")) or wonde_id
        if mis_id is None:
            problems.add("An employee without an id was skipped")
            return None
        group_ids = [normalise.identifier(c.get("id")) for c in _included(row, "classes")]
        group_ids = [g for g in group_ids if g] or class_staff.get(wonde_id, [])
        return SnapshotStaff(
            mis_id=mis_id,
            forename=normalise.name(row.get("forename")) or normalise.name(row.get("legal_forename")),
            surname=normalise.name(row.get("surname")) or normalise.name(row.get("legal_surname")),
            title=normalise.name(row.get("title")),
            # Wonde lists every employee; those attached to a class are the teachers.
            is_teacher=bool(group_ids),
            group_mis_ids=tuple(dict.fromkeys(group_ids)),
        )


def _included(row: dict, key: str) -> list[dict]:
    """An include that is a list ({"data": [...]}); missing or odd shapes → []."""
    value = row.get(key)
    if isinstance(value, dict):
        value = value.get("data")
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _included_one(row: dict, key: str) -> dict:
    """An include that is one object ({"data": {...}}); missing or odd shapes → {}."""
    value = row.get(key)
    if isinstance(value, dict) and "data" in value:
        value = value.get("data")
    return value if isinstance(value, dict) else {}
