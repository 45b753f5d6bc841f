"""`python manage.py fake_mis --port 8765`: serve a school's pupils as Xporter and Wonde would."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from accounts.models import School
from misync.fake_mis import FAILURES, RELYING_PARTY, SCENARIOS, THIRD_PARTY_ID, FakeMis, FakeSchoolData


class Command(BaseCommand):
    help = (
        "Serve a fake Xporter- and Wonde-shaped MIS for one school (the demo school by default), "
        "built from its current accounts and classes, with switches for a year-end scenario and failures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765, help="port for the MIS API (0: any free port)")
        parser.add_argument(
            "--control-port",
            type=int,
            default=None,
            help="port for the control API, which stays up while the MIS is down (default: port + 1)",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--school", default="demo", help="slug of the school whose accounts to serve")
        parser.add_argument(
            "--generate",
            type=int,
            metavar="N",
            default=None,
            help="serve N generated pupils instead of a school from the database",
        )
        parser.add_argument("--seed", type=int, default=1, help="seed for --generate")
        parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
        parser.add_argument("--failure", choices=FAILURES, default="none")
        parser.add_argument("--verbose-requests", action="store_true", help="log every request")

    def handle(
        self, *args, port, control_port, host, school, generate, seed, scenario, failure, verbose_requests, **options
    ):
        if generate is not None:
            if generate < 0:
                raise CommandError("--generate must be 0 or more")
            data = FakeSchoolData.generate(n_pupils=generate, seed=seed)
        else:
            try:
                data = FakeSchoolData.from_school(School.objects.get(slug=school))
            except School.DoesNotExist:
                raise CommandError(
                    f"There is no school with slug {school!r}. Run `python manage.py seed_demo` first, "
                    "or use --generate N."
                ) from None
        if control_port is None:
            control_port = port + 1 if port else 0
        try:
            fake = FakeMis.start(
                data=data,
                port=port,
                control_port=control_port,
                host=host,
                scenario=scenario,
                failure=failure,
                verbose=verbose_requests,
            )
        except OSError as exc:
            raise CommandError(f"Could not listen on {host}:{port} or {control_port}: {exc}") from None

        out = self.stdout.write
        out(
            f"Fake MIS for {data.name}: {len(data.pupils)} pupils, {len(data.classes)} classes, {len(data.staff)} staff"
        )
        out(f"Serving on {fake.base_url}  (control API on {fake.control_url})")
        out(f"Scenario {fake.scenario}, failure {fake.failure}")
        out("")
        out("Xporter settings:  connector xporter")
        out(f"  base URL {fake.base_url}   estab {data.school_ref}")
        out(f"  relying party {RELYING_PARTY}   third party id {THIRD_PARTY_ID}   password {fake.password}")
        out("Wonde settings:    connector wonde")
        out(f"  base URL {fake.wonde_base_url}   school id {data.wonde_id}   token {fake.wonde_token}")
        out("")
        out("Switch while running:")
        out(f"  curl -X POST -d failure=500 {fake.control_url}/__fake__/failure    # {' | '.join(FAILURES)}")
        out(f"  curl -X POST -d scenario=year-end {fake.control_url}/__fake__/scenario")
        out(f"  curl {fake.control_url}/__fake__/state")
        self.stdout.flush()

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
            out("Fake MIS stopped")
