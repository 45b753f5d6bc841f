"""The Accounts tab under load, side by side with Django's admin changelist (DESIGN §8).

    make bench-admin
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dbp_bench .venv/bin/python bench/admin_bench.py \
        [--pupils 2000] [--clients 8] [--seconds 20] [--rounds 2] [--workers 4]

The database named by BENCH_DATABASE_URL is dropped, created and migrated. A school with 2,000
pupils (classes, teachers, memberships) is made by the real MIS sync from a generated fake MIS
export. gunicorn serves the project on a free loopback port with production-like settings
(DEBUG=0, static files collected and served by WhiteNoise, a real SECRET_KEY, plain HTTP on
loopback). We log in through the login form as the school's admin and as an operator superuser,
then `bench/loadgen.py` drives, in the same run, in rounds whose order alternates, each of:

- the Accounts tab, 50 a page, filtered to pupils of one year group;
- Django's admin changelist (/operator/accounts/user/) filtered to the same accounts (that school,
  pupils, the same year group), 50 a page (`AccountAdmin.list_per_page`).

Before the load, each page's query count is measured in-process at 25, 50 and 100 a page.
"""

import argparse
import http.client
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, child_env, database_url, machine, print_table, setup_django  # noqa: E402
from bench.loadgen import print_table as print_load_table  # noqa: E402
from bench.loadgen import run_load  # noqa: E402

PASSWORD = "bench-login-password-42"
YEAR = "Y3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_school(pupils: int):
    """A school with `pupils` pupils made by the real sync from a generated export, plus the logins."""
    from accounts.models import Role, School, User
    from misync.fake_mis import FakeMis, FakeSchoolData
    from misync.services import sync_run_create, sync_run_execute

    school = School.objects.create(slug="bench-admin", name="Bench Admin Primary")
    data = FakeSchoolData.generate(n_pupils=pupils, seed=7, name=school.name)
    with FakeMis.start(data=data, port=0, today=school.local_today()) as fake:
        from misync.connectors.base import get_connector

        run = sync_run_create(school=school, trigger="manual")
        run = sync_run_execute(run.pk, connector=get_connector("xporter", fake.xporter_config()))
    assert run.status == "succeeded", run.error_message
    admin = User.objects.create_user(
        username="bench-office", password=PASSWORD, school=school, role=Role.ADMIN, first_name="Office", last_name="Admin"
    )
    operator = User.objects.create_superuser(
        username="bench-operator", password=PASSWORD, role=Role.OPERATOR, email="ops@example.invalid"
    )
    return school, admin, operator


def query_counts(*, admin, operator, accounts_path: str, admin_path: str) -> list[tuple]:
    """Queries per request at each page size, through Django's test client (same process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    for label, user, path, sizes in (
        ("Accounts tab", admin, accounts_path, ("25", "50", "100")),
        ("Admin changelist", operator, admin_path, ("50",)),
    ):
        client = Client()
        client.force_login(user)
        counts = []
        for size in sizes:
            query = re.sub(r"per_page=\d+", f"per_page={size}", path)
            client.get(query)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(query)
            assert response.status_code == 200, (path, response.status_code)
            counts.append(f"{len(ctx)} at {size}")
        rows.append((label, ", ".join(counts)))
    return rows


def login(port: int, username: str, path_after: str) -> str:
    """Log in through the login form over HTTP; returns the Cookie header for the session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": path_after})
    conn.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie", "") or "")
    if response.status != 302 or not session:
        raise SystemExit(f"logging in as {username} failed: HTTP {response.status}")
    cookie = f"csrftoken={csrf_cookie}; sessionid={session.group(1)}"
    conn.request("GET", path_after, headers={"Cookie": cookie})
    response = conn.getresponse()
    page = response.read().decode()
    if response.status != 200:
        raise SystemExit(f"{path_after} as {username}: HTTP {response.status}")
    conn.close()
    return cookie


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="each page is loaded this many times, alternating")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    args = parser.parse_args()
    url = database_url()
    setup_django(url, ALLOWED_HOSTS="127.0.0.1,localhost,testserver", CELERY_BROKER_URL="", REDIS_URL="")

    from django.core.management import call_command
    from django.urls import reverse

    from accounts.models import User

    school, admin, operator = make_school(args.pupils)
    matching = User.objects.filter(school=school, role="pupil", year_group=YEAR).count()
    accounts_path = reverse("accounts_list") + "?" + urlencode({"role": "pupil", "year_group": YEAR, "per_page": 50})
    admin_path = "/operator/accounts/user/?" + urlencode(
        {"school__id__exact": school.pk, "role__exact": "pupil", "year_group__exact": YEAR}
    )
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG=0: WhiteNoise's manifest
    counts = query_counts(admin=admin, operator=operator, accounts_path=accounts_path, admin_path=admin_path)

    port = free_port()
    log = open(f"/tmp/bench-admin-gunicorn-{port}.log", "w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dbprimary.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.workers), "--worker-class", "sync", "--keep-alive", "30", "--log-level", "warning"],
        env=child_env(url, CELERY_BROKER_URL="", REDIS_URL=""), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    results = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start:\n" + Path(log.name).read_text()) from None
                time.sleep(0.2)
        admin_cookie = login(port, admin.username, accounts_path)
        operator_cookie = login(port, operator.username, admin_path)
        base = f"http://127.0.0.1:{port}"
        pages = [("Accounts tab", accounts_path, admin_cookie), ("Admin changelist", admin_path, operator_cookie)]
        for round_no in range(1, args.rounds + 1):
            # The order alternates, so neither page always runs first (colder) or second.
            for label, path, cookie in pages if round_no % 2 else reversed(pages):
                results.append(run_load(label=f"{label} (round {round_no})", url=base + path, cookie=cookie,
                                        clients=args.clients, seconds=args.seconds))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        Path(log.name).unlink()

    print(f"\nAdmin pages under load: a school with {args.pupils:,} pupils ({matching} pupils in {YEAR} on 50-row pages), "
          f"gunicorn with {args.workers} sync workers, DEBUG=0, PostgreSQL, {args.clients} concurrent keep-alive "
          f"clients for {args.seconds:.0f} s each after 2 s of warm-up.\nMachine: {machine()}\n")
    print(f"Accounts tab:      GET {accounts_path}\nAdmin changelist:  GET {admin_path}\n")
    print_load_table(results)
    print()
    print_table([("Page", "Queries per request"), *counts])
    ours = [r for r in results if r.label.startswith("Accounts")]
    theirs = [r for r in results if r.label.startswith("Admin")]
    rps_ours = sum(r.requests for r in ours) / sum(r.seconds for r in ours)
    rps_theirs = sum(r.requests for r in theirs) / sum(r.seconds for r in theirs)
    errors = sum(r.errors for r in results)
    print()
    print_table([
        ("Target", "Measured", "Met"),
        ("Accounts tab at least as fast as the admin changelist",
         f"{rps_ours:.1f} vs {rps_theirs:.1f} req/s ({rps_ours / rps_theirs:.2f}×)",
         "yes" if rps_ours >= rps_theirs else "no"),
        ("Zero errors", str(errors), "yes" if errors == 0 else "no"),
    ])


if __name__ == "__main__":
    main()
