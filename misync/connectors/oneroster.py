"""OneRoster 1.1 CSV bundles (DESIGN §7): a zip file, a folder, or a zip at an http(s) URL.

Config: `base_url` is the path or URL; `school_ref` the org's `sourcedId` or `identifier`
(needed only when the bundle holds several school orgs).

How the bundle is read:
- `manifest.csv` marks each file `bulk`, `delta` or `absent`. The snapshot is `complete` only
  when users, classes and enrollments are all bulk; an absent file is never read as "delete
  everything", and a delta lists only what changed, with deletions as `status=tobedeleted`
  rows (→ `deleted_*_ids`). A bundle without a manifest is read as bulk for the files it has,
  with a warning.
- Headers are matched case-insensitively, in any order, extra columns ignored; byte-order
  marks, CRLF and a missing final newline are fine; an empty file has no rows.
- `grades` are read as England National Curriculum years ("05" → Y5), with KG → Reception.
- A user's `identifier` is used as the UPN when it is a valid UPN; `userIds` entries typed
  UPN or admission number ("{UPN:A123…}") are read too.
- A pupil's class is their open-ended (or latest) student enrollment; their start date is the
  earliest enrollment `beginDate`, and when every enrollment has an `endDate` the latest one
  is their leave date.
"""

import csv
import io
import os
import zipfile
from pathlib import Path

from misync import normalise
from misync.connectors.base import Connector, SourceError, register
from misync.connectors.common import Problems, finish_snapshot
from misync.connectors.http import HttpClient
from misync.snapshot import SnapshotGroup, SnapshotPupil, SnapshotStaff

FILES = ("orgs", "academicSessions", "classes", "users", "enrollments")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_BUNDLE_BYTES = 200 * 1024 * 1024
STAFF_ROLES = {"teacher", "administrator", "aide", "staff"}


class Bundle:
    """The bundle's files as text, whatever it arrived as."""

    def __init__(self, files: dict[str, bytes]):
        # Folder and zip member names are matched case-insensitively without ".csv".
        self.files = {Path(name).stem.lower(): data for name, data in files.items()}

    @classmethod
    def open(cls, location: str, config) -> "Bundle":
        if not location:
            raise SourceError("No OneRoster file or folder is set", kind="config")
        if location.startswith(("http://", "https://")):
            with HttpClient(config) as http:
                return cls.from_zip_bytes(http.download(location, limit=MAX_BUNDLE_BYTES), location)
        path = Path(location)
        if path.is_dir():
            files = {}
            for child in path.iterdir():
                if child.suffix.lower() == ".csv" and child.is_file():
                    if child.stat().st_size > MAX_FILE_BYTES:
                        raise SourceError(f"{child.name} is larger than 50 MB", kind="bad_format")
                    files[child.name] = child.read_bytes()
            return cls(files)
        if path.is_file():
            if path.stat().st_size > MAX_BUNDLE_BYTES:
                raise SourceError(f"{path.name} is larger than 200 MB", kind="bad_format")
            return cls.from_zip_bytes(path.read_bytes(), location)
        raise SourceError(f"There is no OneRoster file or folder at {location}", kind="not_found")

    @classmethod
    def from_zip_bytes(cls, data: bytes, where: str) -> "Bundle":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise SourceError(f"{where} is not a zip file", kind="bad_format") from exc
        files, total = {}, 0
        with archive:
            for info in archive.infolist():
                name = os.path.basename(info.filename)
                if info.is_dir() or not name.lower().endswith(".csv") or name.startswith("."):
                    continue
                # Sizes in the zip directory can lie (a zip bomb); read with a hard cap instead.
                with archive.open(info) as member:
                    content = member.read(MAX_FILE_BYTES + 1)
                if len(content) > MAX_FILE_BYTES:
                    raise SourceError(f"{name} in the bundle is larger than 50 MB", kind="bad_format")
                total += len(content)
                if total > MAX_BUNDLE_BYTES:
                    raise SourceError("The bundle unpacks to more than 200 MB", kind="bad_format")
                files[name] = content
        return cls(files)

    def rows(self, stem: str) -> list[dict[str, str]] | None:
        """The file's rows with lower-cased headers, or None when the file is not in the bundle."""
        data = self.files.get(stem.lower())
        if data is None:
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        text = text.lstrip("\ufeff")
        if not text.strip():
            return []
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [column.strip().lstrip("\ufeff").lower() for column in next(reader)]
            rows = []
            for values in reader:
                if not any(value.strip() for value in values):
                    continue
                # "__row__" is the row's line in the file, for messages the office can act on.
                rows.append({**dict(zip(header, values)), "__row__": reader.line_num})
        except csv.Error as exc:
            raise SourceError(f"{stem}.csv could not be read as CSV: {exc}", kind="bad_format") from exc
        return rows


@register
class OneRosterConnector(Connector):
    name = "oneroster"

    def fetch(self):
        bundle = Bundle.open((self.config.base_url or "").strip(), self.config)
        return self.read(bundle)

    def read(self, bundle: Bundle):
        problems = Problems()
        modes = self._manifest(bundle, problems)
        rows = {}
        for stem in FILES:
            if modes.get(stem) == "absent":
                rows[stem] = None
                continue
            rows[stem] = bundle.rows(stem)
            if rows[stem] is None and modes.get(stem) in ("bulk", "delta"):
                raise SourceError(
                    f"The manifest lists {stem}.csv but the bundle does not contain it", kind="bad_format"
                )
        for stem in ("users", "classes", "enrollments"):
            _require_columns(stem, rows[stem], {"sourcedid"})

        org = self._choose_org(rows["orgs"] or [], normalise.clean(self.config.school_ref))
        org_id = org["sourcedid"] if org else None
        school_ref = (org or {}).get("identifier") or org_id or normalise.clean(self.config.school_ref) or ""

        deleted_pupils, deleted_staff, deleted_groups = [], [], []
        groups = []
        for row in rows["classes"] or []:
            class_id = normalise.identifier(row.get("sourcedid"))
            if class_id is None:
                continue
            if org_id and normalise.clean(row.get("schoolsourcedid")) not in (None, org_id):
                continue
            if _deleted(row):
                deleted_groups.append(class_id)
                continue
            groups.append(
                SnapshotGroup(
                    mis_id=class_id,
                    name=normalise.name(row.get("title")) or f"Class {class_id}",
                    code=normalise.name(row.get("classcode")),
                    year_group=normalise.year_group_from_grade(row.get("grades")),
                )
            )

        enrollments = self._enrollments(rows["enrollments"] or [], org_id)
        pupils, staff = [], []
        for row in rows["users"] or []:
            number = row["__row__"]
            user_id = normalise.identifier(row.get("sourcedid"))
            if user_id is None:
                problems.add(f"users.csv row {number}: no sourcedId, skipped")
                continue
            orgs = {part.strip() for part in (row.get("orgsourcedids") or "").split(",") if part.strip()}
            if org_id and orgs and org_id not in orgs:
                continue
            role = (normalise.clean(row.get("role")) or "").lower()
            if role == "student":
                if _deleted(row):
                    deleted_pupils.append(user_id)
                else:
                    pupils.append(self._pupil(user_id, row, enrollments.get(user_id, [])))
            elif role in STAFF_ROLES:
                if _deleted(row):
                    deleted_staff.append(user_id)
                else:
                    staff.append(self._staff(user_id, role, row, enrollments.get(user_id, [])))

        complete = all(modes.get(stem) == "bulk" for stem in ("users", "classes", "enrollments"))
        as_of = max(
            (
                parsed
                for stem in ("users", "classes", "enrollments")
                for row in rows[stem] or []
                if (parsed := normalise.parse_as_of(row.get("datelastmodified"))) is not None
            ),
            default=None,
        )
        return finish_snapshot(
            source=self.name,
            school_ref=school_ref,
            as_of=as_of,
            groups=groups,
            pupils=pupils,
            staff=staff,
            warnings=problems.as_list(),
            complete=complete,
            deleted_pupil_ids=deleted_pupils,
            deleted_staff_ids=deleted_staff,
            deleted_group_ids=deleted_groups,
        )

    # --- parts -----------------------------------------------------------------------------

    def _manifest(self, bundle: Bundle, problems: Problems) -> dict[str, str]:
        rows = bundle.rows("manifest")
        if rows is None:
            problems.add("The bundle has no manifest.csv; the files in it were read as complete (bulk)")
            return {stem: ("bulk" if bundle.rows(stem) is not None else "absent") for stem in FILES}
        _require_columns("manifest", rows, {"propertyname", "value"})
        modes = {}
        for row in rows:
            prop = (normalise.clean(row.get("propertyname")) or "").lower()
            if prop.startswith("file."):
                stem = prop[len("file.") :]
                mode = (normalise.clean(row.get("value")) or "absent").lower()
                if mode not in ("bulk", "delta", "absent"):
                    raise SourceError(
                        f"manifest.csv marks {stem} as {mode!r}, not bulk, delta or absent", kind="bad_format"
                    )
                for known in FILES:
                    if known.lower() == stem:
                        modes[known] = mode
        # A file the manifest does not mention is absent (OneRoster 1.1 §2.1).
        return {stem: modes.get(stem, "absent") for stem in FILES}

    def _choose_org(self, org_rows: list[dict], school_ref: str | None) -> dict | None:
        orgs = [
            {key: (normalise.clean(value) or "") for key, value in row.items() if key != "__row__"}
            for row in org_rows
            if normalise.clean(row.get("sourcedid")) and not _deleted(row)
        ]
        schools = [org for org in orgs if org.get("type", "").lower() == "school"] or orgs
        if school_ref:
            for org in orgs:
                if school_ref in (org.get("sourcedid"), org.get("identifier")):
                    return org
            if not orgs:
                # No orgs file (e.g. a delta): filter by the configured id as it is.
                return {"sourcedid": school_ref}
            raise SourceError(
                f"The bundle has no school {school_ref!r}. Schools in it: {_list_orgs(schools)}", kind="config"
            )
        if len(schools) > 1:
            raise SourceError(
                f"The bundle holds {len(schools)} schools; choose one by its sourcedId or identifier: "
                f"{_list_orgs(schools)}",
                kind="config",
            )
        return schools[0] if schools else None

    def _enrollments(self, rows, org_id) -> dict[str, list[dict]]:
        by_user: dict[str, list[dict]] = {}
        for row in rows:
            number = row["__row__"]
            if _deleted(row):
                continue
            if org_id and normalise.clean(row.get("schoolsourcedid")) not in (None, org_id):
                continue
            user_id = normalise.identifier(row.get("usersourcedid"))
            class_id = normalise.identifier(row.get("classsourcedid"))
            if not user_id or not class_id:
                continue
            try:
                begin = normalise.parse_date(row.get("begindate"))
                end = normalise.parse_date(row.get("enddate"))
            except ValueError as exc:
                raise SourceError(f"enrollments.csv row {number}: {exc}", kind="bad_format") from exc
            by_user.setdefault(user_id, []).append(
                {
                    "class": class_id,
                    "role": (normalise.clean(row.get("role")) or "").lower(),
                    "begin": begin,
                    "end": end,
                    "primary": normalise.parse_bool(row.get("primary"), default=False),
                }
            )
        return by_user

    def _pupil(self, user_id, row, enrollments) -> SnapshotPupil:
        mine = [e for e in enrollments if e["role"] in ("student", "")]
        current = None
        if mine:
            current = max(
                mine,
                key=lambda e: (e["end"] is None, e["primary"], e["end"] or e["begin"] or _EPOCH, e["begin"] or _EPOCH),
            )
        begins = [e["begin"] for e in mine if e["begin"]]
        ends = [e["end"] for e in mine]
        ids = _user_ids(row.get("userids"))
        identifier = normalise.clean(row.get("identifier"))
        upn = normalise.valid_upn(ids.get("upn")) or normalise.valid_upn(identifier)
        return SnapshotPupil(
            mis_id=user_id,
            forename=normalise.name(row.get("preferredfirstname")) or normalise.name(row.get("givenname")),
            surname=normalise.name(row.get("preferredlastname")) or normalise.name(row.get("familyname")),
            upn=upn,
            admission_number=ids.get("admission"),
            year_group=normalise.year_group_from_grade(row.get("grades")),
            group_mis_id=current["class"] if current else None,
            start_date=min(begins) if begins else None,
            leave_date=max(ends) if ends and all(ends) else None,
            on_roll=normalise.parse_bool(row.get("enableduser"), default=True),
        )

    def _staff(self, user_id, role, row, enrollments) -> SnapshotStaff:
        group_ids = [e["class"] for e in enrollments if e["role"] in STAFF_ROLES and e["end"] is None]
        return SnapshotStaff(
            mis_id=user_id,
            forename=normalise.name(row.get("preferredfirstname")) or normalise.name(row.get("givenname")),
            surname=normalise.name(row.get("preferredlastname")) or normalise.name(row.get("familyname")),
            email=normalise.clean(row.get("email")),
            is_teacher=role == "teacher",
            group_mis_ids=tuple(dict.fromkeys(group_ids)),
            active=normalise.parse_bool(row.get("enableduser"), default=True),
        )


_EPOCH = normalise.parse_date("1900-01-01")


def _deleted(row: dict) -> bool:
    return (normalise.clean(row.get("status")) or "").lower() == "tobedeleted"


def _require_columns(stem: str, rows, columns: set[str]) -> None:
    if rows:
        missing = columns - set(rows[0].keys())
        if missing:
            raise SourceError(f"{stem}.csv has no {', '.join(sorted(missing))} column", kind="bad_format")


def _list_orgs(orgs: list[dict]) -> str:
    return (
        "; ".join(
            f"{org.get('name') or '(no name)'} (sourcedId {org.get('sourcedid')}"
            + (f", identifier {org['identifier']}" if org.get("identifier") else "")
            + ")"
            for org in orgs
        )
        or "none"
    )


def _user_ids(value) -> dict[str, str]:
    """`userIds` as written: "{UPN:A123…},{AdmissionNumber:001275}" → {"upn": …, "admission": …}."""
    found = {}
    for part in (value or "").split(","):
        part = part.strip().strip("{}")
        kind, _, ident = part.partition(":")
        kind = kind.strip().lower().replace(" ", "").replace("_", "")
        ident = normalise.clean(ident)
        if not ident:
            continue
        if kind == "upn":
            found["upn"] = ident
        elif kind in ("admissionnumber", "admissionno", "adno", "admission"):
            found["admission"] = ident
    return found
