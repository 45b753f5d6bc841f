"""Spreadsheet import benchmark (DESIGN §8): validation + preview, commit, and peak memory.

    make bench-import                      # against DATABASE_URL (run it on PostgreSQL)
    .venv/bin/python bench/import_bench.py --rows 1000 --big-rows 5000

Creates a throw-away database (Django's test-database machinery, named "test_<name>_bench"), builds
real .xlsx files with openpyxl, and prints a table:
- read + validate + store the preview (what the upload request does), and rendering the preview page;
- peak Python memory (tracemalloc) while reading and validating, for the 1,000-row and the
  5,000-row file, to show that memory stays flat (openpyxl read-only mode);
- commit with the production design: the Celery task's chunked hashing reported separately from
  the one durable transaction that creates everything. Argon2 costs ~0.1 s per hash on an idle
  machine, so by default the full commit uses a fast hasher and the Argon2 cost is measured on a
  sample and projected; `--hasher argon2` runs the whole commit with Argon2.
"""

import argparse
import io
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbprimary.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Zoë", "Arthur", "Freya", "Leo", "Łucja", "Muhammad", "Sienna", "Theo"]
LAST = ["Smith", "Jones", "O'Brien", "Khan", "Patel", "Williams", "Nowak", "Taylor", "Brown", "Davies", "Evans", "Wilson"]


def build_xlsx(rows: int, groups: list[str]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Pupils"
    ws.append(["Forename", "Surname", "Group", "Username", "Password", "Admission number", "Homepage theme"])
    for i in range(rows):
        ws.append([f"{FIRST[i % len(FIRST)]}{i // 100}", LAST[(i * 7) % len(LAST)], groups[i % len(groups)], None, None,
                   f"A{i:05d}", None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def measure(fn):
    """Time one run without tracing (tracemalloc slows Python down), then trace a second run's peak."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--big-rows", type=int, default=5000)
    parser.add_argument("--hasher", choices=["argon2", "md5"], default="md5",
                        help="hasher for the full commit: md5 times the task without hashing cost; argon2 is production "
                             "(about 0.1 s per row on an idle machine, so 1,000 rows take minutes)")
    parser.add_argument("--argon2-sample", type=int, default=30,
                        help="Argon2 hashes timed on their own to project the production hashing time")
    args = parser.parse_args()

    setup_test_environment()
    # Its own database, so it never collides with a test run against the same server.
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})
        connection.settings_dict["TEST"]["NAME"] = f"test_{connection.settings_dict['NAME']}_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args):
    from django.test import Client
    from django.urls import reverse

    from accounts.importer import commit
    from accounts.importer.commit import import_job_create, import_job_run, import_job_start
    from accounts.importer.reader import read_upload
    from accounts.importer.validate import validate_rows
    from accounts.models import Group, Role, School, User

    settings.PASSWORD_HASHERS = (
        ["django.contrib.auth.hashers.Argon2PasswordHasher"] if args.hasher == "argon2"
        else ["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    settings.ALLOWED_HOSTS = ["*"]
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, args.big_rows)
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, 20 * 1024 * 1024)
    school = School.objects.create(slug="bench", name="Bench Primary")
    groups = [f"Year {y} {n}" for y in range(1, 7) for n in ("Oak", "Ash")]
    Group.objects.bulk_create([Group(school=school, name=g, year_group=f"Y{g.split()[1]}") for g in groups])
    admin = User.objects.create_user(username="bench-admin", password="bench-password", school=school, role=Role.ADMIN)
    # Existing pupils on the platform, so username clash checks have something to search.
    User.objects.bulk_create([
        User(username=f"{FIRST[i % len(FIRST)].lower()}{i}x", school=school, role=Role.PUPIL, first_name="Old", last_name=f"P{i}",
             password="!")
        for i in range(2000)
    ])

    small = build_xlsx(args.rows, groups)
    big = build_xlsx(args.big_rows, groups)
    limits = {"max_rows": settings.IMPORT_MAX_ROWS, "max_bytes": settings.IMPORT_MAX_BYTES}

    def read_validate(data):
        return validate_rows(school=school, read=read_upload(name="p.xlsx", data=data, **limits))

    read_validate(small)  # warm caches (imports, query plans)
    preview, t_validate_small, peak_small = measure(lambda: read_validate(small))
    assert not preview.problems, preview.problems[:3]
    _, t_validate_big, peak_big = measure(lambda: read_validate(big))

    def full_load():  # for contrast only: what reading without read-only mode would hold in memory
        from openpyxl import load_workbook

        load_workbook(io.BytesIO(big)).close()

    _, t_full_big, peak_full_big = measure(full_load)

    start = time.perf_counter()
    job = import_job_create(school=school, admin=admin, file_name="bench.xlsx", data=small, create_groups=False)
    t_create = time.perf_counter() - start
    client = Client()
    client.force_login(admin)
    start = time.perf_counter()
    response = client.get(reverse("import_preview", args=[job.pk]))
    t_render = time.perf_counter() - start
    assert response.status_code == 200

    timings = {}
    real_apply = commit.import_job_apply

    def timed_apply(**kwargs):
        start = time.perf_counter()
        try:
            return real_apply(**kwargs)
        finally:
            timings["apply"] = time.perf_counter() - start

    commit.import_job_apply = timed_apply
    import_job_start(job=job, include_rows=set(), enqueue=False)
    start = time.perf_counter()
    job = import_job_run(job_id=job.pk)
    t_commit = time.perf_counter() - start
    assert job.stage == "done", job.message
    t_hash = t_commit - timings["apply"]

    from django.contrib.auth.hashers import Argon2PasswordHasher

    argon2 = Argon2PasswordHasher()
    start = time.perf_counter()
    for _ in range(args.argon2_sample):
        argon2.encode("tiger42", argon2.salt())
    per_hash = (time.perf_counter() - start) / max(args.argon2_sample, 1)
    load = os.getloadavg()

    mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    print(f"\nImport benchmark — {connection.vendor}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
          f"{mem_total:.1f} GB RAM, Python {platform.python_version()}, load average {load[0]:.1f}, "
          f"hasher for the commit {args.hasher}\n")
    rows = [
        ("Step", "Rows", "Time (s)", "Peak memory (MB)"),
        ("Read + validate (xlsx, read-only)", args.rows, f"{t_validate_small:.2f}", f"{peak_small / 1024**2:.1f}"),
        ("Read + validate (xlsx, read-only)", args.big_rows, f"{t_validate_big:.2f}", f"{peak_big / 1024**2:.1f}"),
        ("(contrast) openpyxl normal mode, load only", args.big_rows, f"{t_full_big:.2f}", f"{peak_full_big / 1024**2:.1f}"),
        ("Upload request: read + validate + store preview", args.rows, f"{t_create:.2f}", ""),
        ("Preview page render", args.rows, f"{t_render:.2f}", ""),
        (f"Commit: hash passwords in chunks ({args.hasher})", job.created_count, f"{t_hash:.2f}", ""),
        ("Commit: one transaction (groups, accounts, memberships, audit)", job.created_count, f"{timings['apply']:.2f}", ""),
        ("Commit total (Celery task)", job.created_count, f"{t_commit:.2f}", ""),
        (f"Argon2: one hash (mean of {args.argon2_sample})", 1, f"{per_hash:.3f}", ""),
        ("Argon2: hashing projected for the file", job.created_count, f"{per_hash * job.created_count:.1f}", ""),
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print("| " + " | ".join(str(v).ljust(widths[i]) for i, v in enumerate(row)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
