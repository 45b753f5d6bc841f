"""A generic walk over every URL pattern of the project, filled with another school's ids and tokens.

Nothing here names a view or a model: patterns come from the project's resolver and
school-owned models are found through `_meta` (any model with a foreign key path to School),
so URLs and models added by other areas are covered without touching this file.
"""

import hashlib
import io
import itertools
import json
import re
import secrets
import uuid
import zipfile
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

from accounts.models import School

MARKER = "ZZBIRCH"
MAX_URLS_PER_PATTERN = 24
# Django's admin site is the operators' tool with its own login; tested separately.
EXCLUDED_NAMESPACES = {"admin"}

# For parameters no School B id or token fits (a custom converter for a year group, a date…):
# plausible values, so the pattern is still walked.
FALLBACK_VALUES = ["Y6", "R", "N1", "2026-07-23", "2026", "7", "active", "leaver", "pupil", "staff", "csv", "xlsx"]

# Text fields whose values may appear in a URL: tokens, slugs, codes, usernames.
TOKEN_FIELD_NAMES = re.compile(r"token|slug|uid|key|code|username")

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


@dataclass(frozen=True)
class WalkPattern:
    """One leaf URL pattern: a %-format string for its path and the converter of each parameter."""

    path_format: str
    converters: dict  # parameter name → converter instance, or None for a regex group
    callback: object
    name: str

    @property
    def label(self) -> str:
        return self.name or self.path_format

    @property
    def params(self) -> list[str]:
        return list(self.converters)


def _segment(pattern) -> tuple[str, dict]:
    if isinstance(pattern, RoutePattern):
        route = str(pattern).replace("%", "%%")
        return _ROUTE_PARAM.sub(lambda m: f"%({m['parameter']})s", route), dict(pattern.converters)
    if isinstance(pattern, RegexPattern):
        fmt, params = normalize(pattern.regex.pattern)[0]
        return fmt, {p: None for p in params}
    raise TypeError(f"unknown URL pattern type {type(pattern)!r}")


def walk_patterns(*, include_excluded: bool = False) -> list[WalkPattern]:
    """Every leaf pattern of the root URLconf, with its full path format (Django admin left out)."""
    found = []

    def walk(patterns, prefix, converters, namespace):
        for entry in patterns:
            fmt, conv = _segment(entry.pattern)
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                if ns in EXCLUDED_NAMESPACES and not include_excluded:
                    continue
                walk(entry.url_patterns, prefix + fmt, {**converters, **conv}, ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
                found.append(WalkPattern("/" + prefix + fmt, {**converters, **conv}, entry.callback, name))

    walk(get_resolver().url_patterns, "", {}, None)
    return found


# --- School-owned data ---------------------------------------------------------------------


def school_paths(max_depth: int = 4) -> dict[type[models.Model], str]:
    """For every model that belongs to a school, the ORM lookup from it to School ("" for School)."""
    paths: dict[type[models.Model], str] = {School: ""}
    frontier = [School]
    for _ in range(max_depth):
        next_frontier = []
        for model in apps.get_models():
            if model in paths:
                continue
            for f in model._meta.get_fields():
                if f.concrete and f.is_relation and (f.many_to_one or f.one_to_one):
                    target = f.related_model
                    if target in paths and target in frontier:
                        paths[model] = f"{f.name}__{paths[target]}" if paths[target] else f.name
                        next_frontier.append(model)
                        break
        if not next_frontier:
            break
        frontier = next_frontier
    return paths


def owned_by(model, path: str, schools) -> models.QuerySet:
    lookup = f"{path}__in" if path else "pk__in"
    return model._default_manager.filter(**{lookup: [s.pk for s in schools]})


MARK_SKIP_FIELDS = {"password", "username", "upn", "mis_id", "admission_number", "timezone", "source", "slug"}


def mark_text_fields(schools) -> int:
    """Put MARKER into every free-text field of every object the given schools own.

    Names, labels and titles of the other school then show up in any page that leaks them.
    """
    changed = 0
    for model, path in school_paths().items():
        if model._meta.proxy or not model._meta.managed:
            continue
        text_fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not isinstance(f, (models.SlugField, models.EmailField, models.URLField))
            and not f.choices
            and not f.unique
            and not f.primary_key
            and f.editable
            and f.name not in MARK_SKIP_FIELDS
            and (f.max_length or 1000) >= len(MARKER) + 4
        ]
        if not text_fields:
            continue
        rows = list(owned_by(model, path, schools))
        for row in rows:
            for f in text_fields:
                value = getattr(row, f.attname) or ""
                if MARKER not in value:
                    setattr(row, f.attname, f"{MARKER} {value}".strip()[: f.max_length or None])
        if rows:
            model._default_manager.bulk_update(rows, [f.name for f in text_fields], batch_size=500)
            changed += len(rows)
    return changed


def data_fingerprint(schools) -> str:
    """A digest of every row the schools own, to prove that nothing of theirs changed."""
    digest = hashlib.sha256()
    for model, path in sorted(school_paths().items(), key=lambda item: item[0]._meta.label):
        rows = list(owned_by(model, path, schools).order_by("pk").values())
        digest.update(model._meta.label.encode())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class Candidates:
    """Values to put into URL parameters: the other schools' primary keys, tokens, slugs and strings."""

    pks_by_model: dict[str, list[int]] = field(default_factory=dict)
    strings: list[str] = field(default_factory=list)

    def ints_for(self, param: str) -> list[int]:
        hint = re.sub(r"(_id|_pk|id|pk)$", "", param.lower()).strip("_")
        aliases = {"account": "user", "pupil": "user", "staff": "user", "class": "group"}
        hint = aliases.get(hint, hint)
        if hint in self.pks_by_model:
            return self.pks_by_model[hint]
        return sorted({pks[0] for pks in self.pks_by_model.values() if pks})

    def values_for(self, param: str, converter) -> list[str]:
        ints = [str(i) for i in self.ints_for(param)]
        if converter is not None and not _matches(converter, "x1"):
            pool = ints  # a numeric parameter: every kind of School B object's id
        else:
            pool = self.strings + ints[:2]  # a string parameter: tokens, slugs, usernames, random text
        fitting = [v for v in dict.fromkeys(pool) if converter is None or _matches(converter, v)]
        return fitting or [v for v in FALLBACK_VALUES if converter is not None and _matches(converter, v)]

    def hostile_form(self) -> dict[str, list[str]]:
        """A POST body naming School B's objects under the field names bulk actions tend to use.

        A School A view that takes ids from the form (tick boxes, a target class, a community)
        must refuse these; if one acts on them, School B's data changes and the walk notices.
        """
        form: dict[str, list[str]] = {}
        aliases = {"user": ["account", "pupil", "member", "leader", "ids", "pks", "selected"],
                   "group": ["class", "target_group", "new_group"]}
        for model_name, pks in self.pks_by_model.items():
            values = [str(pk) for pk in pks]
            for base in [model_name, *aliases.get(model_name, [])]:
                for key in (base, f"{base}s", f"{base}_id", f"{base}_ids"):
                    form.setdefault(key, values)
        form.update({"confirm": ["yes"], "remove_members": ["on"], "rollover": ["on"]})
        return form


def _matches(converter, value: str) -> bool:
    if not re.fullmatch(converter.regex, value):
        return False
    try:
        converter.to_python(value)
    except ValueError:
        return False
    return True


def collect_candidates(schools, *, extra_strings=()) -> Candidates:
    cand = Candidates()
    strings = list(extra_strings)
    for model, path in school_paths().items():
        qs = owned_by(model, path, schools).order_by("pk")
        pks = list(qs.values_list("pk", flat=True))
        if pks and isinstance(pks[0], int):
            # The first and last object of each model: enough to hit every view, few enough to be fast.
            cand.pks_by_model[model._meta.model_name] = sorted({pks[0], pks[-1]})
        token_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.SlugField, models.UUIDField))
            or (isinstance(f, models.CharField) and not f.choices and TOKEN_FIELD_NAMES.search(f.name))
        ]
        for name in token_fields:
            strings += [str(v) for v in qs.exclude(**{f"{name}__isnull": True}).values_list(name, flat=True)[:2]]
    strings += ["zz" + secrets.token_urlsafe(12), str(uuid.uuid4())]
    cand.strings = [s for s in dict.fromkeys(strings) if s and "/" not in s]
    return cand


def expand(pattern: WalkPattern, cand: Candidates) -> list[str]:
    """Concrete URLs for a pattern, at most MAX_URLS_PER_PATTERN, each value fitting its converter."""
    if not pattern.params:
        return [pattern.path_format % {}]
    options = [cand.values_for(p, pattern.converters[p]) for p in pattern.params]
    if any(not values for values in options):
        return []
    urls = []
    for combo in itertools.islice(itertools.product(*options), MAX_URLS_PER_PATTERN):
        urls.append(pattern.path_format % dict(zip(pattern.params, combo)))
    return urls


def body_mentions_marker(response) -> bool:
    """True if the marker is in the body, looking inside zip-based files (xlsx) too."""
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if MARKER.lower().encode() in content.lower():
        return True
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                return any(MARKER.lower().encode() in zf.read(n).lower() for n in zf.namelist())
        except zipfile.BadZipFile:
            return False
    return False
