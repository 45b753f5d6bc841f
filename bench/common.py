"""Shared set-up for the PostgreSQL benchmarks: a throw-away database, Django, the machine, tables.

`BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/dbp_bench) names a database on a
loopback server that is DROPPED and created again on every run, then migrated. Benchmarks never
talk to anything but loopback addresses.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dbp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Production-like settings for the benchmark process and everything it starts: DEBUG off (Django
# does not record queries, templates are cached), one secret shared by every process (MIS
# credentials are encrypted with it, sessions are signed with it).
BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "EMAIL_BACKEND": "console",
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "60",
}


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a postgres:// URL: the benchmarks measure PostgreSQL")
    if parsed.hostname not in LOOPBACK_HOSTS:
        sys.exit(f"BENCH_DATABASE_URL must point at a loopback server, not {parsed.hostname!r}")
    return url


def recreate_database(url: str) -> None:
    """Drop the benchmark database (closing its connections) and create it empty."""
    import psycopg2
    from psycopg2 import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(
        dbname="postgres",
        user=parsed.username or "postgres",
        password=parsed.password or None,
        host=parsed.hostname,
        port=parsed.port or 5432,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def setup_django(url: str, **extra_env: str) -> None:
    """Recreate the database, point Django at it with production-like settings, and migrate."""
    recreate_database(url)
    os.environ.update(BENCH_ENV)
    os.environ.update(extra_env)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dbprimary.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def child_env(url: str, **extra: str) -> dict:
    """The environment for a process the benchmark starts (gunicorn, celery)."""
    return {**os.environ, **BENCH_ENV, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), **extra}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = ""
    load = os.getloadavg()[0]
    return (
        f"{len(os.sched_getaffinity(0))} cores (nproc), {mem_gb:.1f} GB RAM, {cpu}; Python {platform.python_version()}"
        f"{'; ' + pg if pg else ''}; load average at the end {load:.1f}"
    )


def print_table(rows: list[tuple], *, right: int = 1) -> None:
    """A Markdown table (so it pastes into the README); columns from `right` on are right-aligned."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [str(v).rjust(widths[i]) if i >= right else str(v).ljust(widths[i]) for i, v in enumerate(row)]
        print("| " + " | ".join(cells) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 1) + (":" if i >= right else "-") for i, w in enumerate(widths)) + "|")
