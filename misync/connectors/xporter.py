"""Groupcall Xporter on Demand (DESIGN §7).

Config: `base_url` is the API root (e.g. https://xporter.groupcall.com); data lives under
`{base_url}/api/v1/School/{school_ref}/`. `school_ref` is the estab. Credentials:
`relying_party`, `third_party_id`, `password`, and optionally `token_url` (default
`{base_url}/idaas/sts/STS/GetToken`).

The token is exchanged once per fetch; then Students (with leavers and pre-admissions),
registration groups and staff are read page by page through `__pagination__[0].NextPage`.
`meta[0].DateTime` (UK local time when naive) becomes the snapshot's `as_of`.
"""

from urllib.parse import quote, urlencode

from misync import normalise
from misync.connectors.base import Connector, SourceError, register
from misync.connectors.common import Problems, finish_snapshot
from misync.connectors.http import HttpClient, merge_next_url, same_origin
from misync.snapshot import SnapshotGroup, SnapshotPupil, SnapshotStaff

# Far more pages than any primary school needs; a server that never stops paging is broken.
MAX_PAGES = 2000
PAGE_SIZE = 500

# StudentStatus values that mean "on roll today"; anything else (Leaver, PreAdmission…) is not.
ON_ROLL_STATUSES = {"onroll", "current", "c"}


@register
class XporterConnector(Connector):
    name = "xporter"

    def fetch(self):
        config = self.config
        base_url = (config.base_url or "").rstrip("/")
        estab = normalise.clean(config.school_ref)
        creds = config.credentials or {}
        missing = [key for key in ("relying_party", "password") if not creds.get(key)]
        if not base_url or not estab or missing:
            what = ", ".join(([] if base_url else ["base URL"]) + ([] if estab else ["estab"]) + missing)
            raise SourceError(f"The Xporter settings are incomplete: {what}", kind="config")

        with HttpClient(config) as http:
            token = self._token(http, base_url, estab, creds)
            http.session.headers["Authorization"] = f"Idaas {token}"
            root = f"{base_url}/api/v1/School/{quote(estab, safe='')}/"
            students, as_of = self._pages(
                http,
                root + "Students/",
                "Students",
                {"options": "includeLeavers,includePreAdmissions", "pageSize": PAGE_SIZE},
            )
            groups, _ = self._pages(http, root + "Groups/", "Group", {"type": "RegGrp", "pageSize": PAGE_SIZE})
            staff, _ = self._pages(http, root + "Staff/", "Staff", {"pageSize": PAGE_SIZE})
        return self._snapshot(estab, as_of, students, groups, staff)

    # --- network -------------------------------------------------------------------------

    def _token(self, http: HttpClient, base_url: str, estab: str, creds: dict) -> str:
        url = creds.get("token_url") or f"{base_url}/idaas/sts/STS/GetToken"
        body = http.json(
            "POST",
            url,
            json={
                "relyingParty": creds.get("relying_party", ""),
                "thirdPartyId": creds.get("third_party_id", ""),
                "estab": estab,
                "password": creds.get("password", ""),
            },
        )
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise SourceError("The Xporter token service did not return a token", kind="auth", url=url)
        return token.strip()

    def _pages(self, http: HttpClient, url: str, key: str, params: dict) -> tuple[list[dict], object]:
        rows: list[dict] = []
        as_of = None
        url = f"{url}?{urlencode(params, safe=',')}"
        seen = set()
        for _ in range(MAX_PAGES):
            seen.add(url)
            body = http.json("GET", url)
            if not isinstance(body, dict):
                raise SourceError(f"Xporter sent a {key} page that is not an object", kind="bad_format", url=url)
            page = body.get(key)
            if page is None:
                page = []
            if not isinstance(page, list) or not all(isinstance(row, dict) for row in page):
                raise SourceError(f"Xporter sent a {key} page in an unexpected shape", kind="bad_format", url=url)
            rows.extend(page)
            if as_of is None:
                as_of = _meta_datetime(body.get("meta"))
            next_ref = _next_page(body.get("__pagination__"), url)
            if not page or next_ref is None:
                return rows, as_of
            next_url = merge_next_url(url, next_ref)
            if not same_origin(next_url, url):
                raise SourceError("Xporter pointed the next page at another server", kind="bad_format", url=next_url)
            if next_url in seen:
                return rows, as_of
            url = next_url
        raise SourceError(f"Xporter kept sending {key} pages beyond {MAX_PAGES}", kind="bad_format", url=url)

    # --- parsing ---------------------------------------------------------------------------

    def _snapshot(self, estab, as_of, students, group_rows, staff_rows):
        problems = Problems()
        groups: dict[str, SnapshotGroup] = {}
        primary_staff: dict[str, list[str]] = {}
        for row in group_rows:
            group_id = normalise.identifier(row.get("Id"))
            group_type = normalise.clean(row.get("Type"))
            if group_id is None or (group_type and group_type.lower() != "reggrp"):
                continue
            group_name = normalise.name(row.get("Name")) or normalise.name(row.get("Code")) or f"Class {group_id}"
            groups[group_id] = SnapshotGroup(mis_id=group_id, name=group_name, code=normalise.name(row.get("Code")))
            staff_id = normalise.identifier(row.get("PrimaryStaffId"))
            if staff_id:
                primary_staff.setdefault(staff_id, []).append(group_id)

        pupils = []
        for row in students:
            pupil = self._pupil(row, problems)
            if pupil is None:
                continue
            pupils.append(pupil)
            # A class a pupil is registered in but the group list left out still exists.
            if pupil.group_mis_id and pupil.group_mis_id not in groups:
                label = normalise.name(row.get("RegGroup")) or f"Class {pupil.group_mis_id}"
                groups[pupil.group_mis_id] = SnapshotGroup(mis_id=pupil.group_mis_id, name=label, code=label)

        by_label = {}
        for group in groups.values():
            for label in (group.code, group.name):
                if label:
                    by_label.setdefault(label.lower(), group.mis_id)
        staff = []
        for row in staff_rows:
            member = self._staff(row, by_label, primary_staff, problems)
            if member is not None:
                staff.append(member)
        return finish_snapshot(
            source=self.name,
            school_ref=estab,
            as_of=as_of,
            groups=list(groups.values()),
            pupils=pupils,
            staff=staff,
            warnings=problems.as_list(),
        )

    def _pupil(self, row: dict, problems: Problems) -> SnapshotPupil | None:
        mis_id = normalise.identifier(row.get("Id"))
        if mis_id is None:
            problems.add("A student record without an Id was skipped")
            return None
        forename = normalise.name(row.get("Forename")) or normalise.name(row.get("LegalForename"))
        surname = normalise.name(row.get("Surname")) or normalise.name(row.get("LegalSurname"))
        if not forename and not surname:
            display = normalise.name(row.get("DisplayName"))
            forename, _, surname = display.partition(" ")
        dates = {}
        for field, key in (
            ("start_date", "EntryDate"),
            ("leave_date", "LeavingDate"),
            ("date_of_birth", "DateofBirth"),
        ):
            raw = row.get(key)
            if raw is None and key == "DateofBirth":
                raw = row.get("DateOfBirth")
            try:
                dates[field] = normalise.parse_date(raw)
            except ValueError:
                problems.add(f"Student {mis_id}: {key} {raw!r} is not a date and was ignored")
                dates[field] = None
        raw_upn = row.get("UPN")
        upn = normalise.valid_upn(raw_upn)
        if raw_upn and upn is None:
            problems.add(f"Student {mis_id}: UPN {raw_upn!r} is not a valid UPN and was ignored")
        status = (normalise.clean(row.get("StudentStatus")) or "OnRoll").replace(" ", "").lower()
        return SnapshotPupil(
            mis_id=mis_id,
            forename=forename,
            surname=surname,
            upn=upn,
            admission_number=normalise.identifier(row.get("AdmissionNo")),
            year_group=normalise.year_group(row.get("YearGroup")),
            group_mis_id=normalise.identifier(row.get("RegGroupId")),
            on_roll=status in ON_ROLL_STATUSES,
            **dates,
        )

    def _staff(self, row, by_label, primary_staff, problems) -> SnapshotStaff | None:
        mis_id = normalise.identifier(row.get("Id"))
        if mis_id is None:
            problems.add("A staff record without an Id was skipped")
            return None
        group_ids = list(primary_staff.get(mis_id, []))
        # RegGroup lists the classes by name, comma-separated ("N1 PM,AM").
        for label in (normalise.clean(row.get("RegGroup")) or "").split(","):
            group_id = by_label.get(label.strip().lower())
            if group_id and group_id not in group_ids:
                group_ids.append(group_id)
        status = (normalise.clean(row.get("StaffStatus")) or "Current").lower()
        return SnapshotStaff(
            mis_id=mis_id,
            forename=normalise.name(row.get("Forename")) or normalise.name(row.get("LegalForename")),
            surname=normalise.name(row.get("Surname")) or normalise.name(row.get("LegalSurname")),
            title=normalise.name(row.get("Title")),
            email=normalise.clean(row.get("WorkEmail")),
            is_teacher=normalise.parse_bool(row.get("IsTeacher"), default=True),
            group_mis_ids=tuple(group_ids),
            active=status in ("current", "active"),
        )


def _meta_datetime(meta):
    if isinstance(meta, list) and meta and isinstance(meta[0], dict):
        return normalise.parse_as_of(meta[0].get("DateTime"))
    return None


def _next_page(pagination, url):
    """NextPage, unless this is already the last page (Xporter still writes a NextPage there)."""
    if not isinstance(pagination, list) or not pagination or not isinstance(pagination[0], dict):
        return None
    info = pagination[0]
    next_ref = info.get("NextPage")
    if not isinstance(next_ref, str) or not next_ref.strip():
        return None
    try:
        if int(info["PageNumber"]) >= int(info["PageCount"]):
            return None
    except (KeyError, TypeError, ValueError):
        pass  # no usable page count: follow NextPage until a page comes back empty
    return next_ref.strip()
