"""The fake MIS, read through the real connectors over real HTTP."""

import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from accounts.models import Group, GroupMembership, Role, validate_upn
from misync.connectors.base import SourceError, get_connector
from misync.fake_mis import FakeMis, FakeSchoolData
from misync.normalise import UK

TODAY = date(2026, 7, 23)


@pytest.fixture
def generated():
    return FakeSchoolData.generate(n_pupils=120, seed=3)


@pytest.fixture
def fake(generated):
    running = FakeMis.start(data=generated, today=TODAY)
    yield running
    running.stop()


def xporter(fake, **overrides):
    return get_connector("xporter", fake.xporter_config(**overrides)).fetch()


def wonde(fake, **overrides):
    return get_connector("wonde", fake.wonde_config(**overrides)).fetch()


def source_error(fetch, fake) -> SourceError:
    with pytest.raises(SourceError) as caught:
        fetch(fake)
    return caught.value


class FakeMisServesBothShapesTests:
    def test_xporter_and_wonde_give_the_same_school(self, fake, generated):
        via_xporter, via_wonde = xporter(fake), wonde(fake)
        assert len(via_xporter.pupils) == len(via_wonde.pupils) == 120
        assert (
            {p.upn for p in via_xporter.pupils}
            == {p.upn for p in via_wonde.pupils}
            == {p.upn for p in generated.pupils}
        )
        assert len(via_xporter.groups) == len(via_wonde.groups) == len(generated.classes)
        assert len(via_xporter.staff) == len(via_wonde.staff) == len(generated.staff)
        assert via_xporter.warnings == () and via_wonde.warnings == ()

    def test_xporter_pupils_carry_their_class_year_and_dates(self, fake, generated):
        source = generated.pupils[0]
        pupil = next(p for p in xporter(fake).pupils if p.mis_id == source.mis_id)
        assert (pupil.forename, pupil.surname, pupil.year_group) == (source.forename, source.surname, source.year_group)
        assert pupil.group_mis_id == source.class_id and pupil.start_date == source.start_date
        assert pupil.admission_number == source.admission_number and pupil.date_of_birth == source.date_of_birth

    def test_teachers_are_attached_to_their_classes(self, fake, generated):
        teacher = generated.staff[0]
        member = next(s for s in xporter(fake).staff if s.mis_id == teacher.mis_id)
        assert member.group_mis_ids == teacher.class_ids and member.is_teacher

    def test_the_xporter_extraction_time_is_now(self, fake):
        as_of = xporter(fake).as_of
        assert abs(datetime.now(UK) - as_of) < timedelta(minutes=1)

    def test_reading_the_mis_touches_no_database(self, fake, db, django_assert_num_queries):
        with django_assert_num_queries(0):
            xporter(fake)
            wonde(fake)

    def test_large_schools_are_paged(self):
        data = FakeSchoolData.generate(n_pupils=1100, seed=9)
        with FakeMis.start(data=data, today=TODAY) as fake:
            assert len(xporter(fake).pupils) == 1100
            assert len(wonde(fake).pupils) == 1100

    def test_wrong_credentials_are_refused(self, fake):
        config = fake.xporter_config(credentials={"relying_party": "fake-mis", "password": "guess"})
        with pytest.raises(SourceError) as caught:
            get_connector("xporter", config).fetch()
        assert caught.value.kind == "auth"
        assert source_error(lambda f: wonde(f, credentials={"token": "guess"}), fake).kind == "auth"

    def test_another_wonde_school_is_not_found(self, fake):
        assert source_error(lambda f: wonde(f, school_ref="A999"), fake).kind == "not_found"


class FakeMisFailureSwitchTests:
    @pytest.mark.parametrize(
        "failure,kind",
        [
            ("down", "unreachable"),
            ("401", "auth"),
            ("404", "not_found"),
            ("500", "server_error"),
            ("malformed", "bad_format"),
        ],
    )
    def test_each_failure_reaches_the_xporter_connector_as_its_kind(self, fake, failure, kind):
        fake.set_failure(failure)
        assert source_error(xporter, fake).kind == kind

    @pytest.mark.parametrize(
        "failure,kind",
        [
            ("down", "unreachable"),
            ("401", "auth"),
            ("404", "not_found"),
            ("500", "server_error"),
            ("malformed", "bad_format"),
        ],
    )
    def test_each_failure_reaches_the_wonde_connector_as_its_kind(self, fake, failure, kind):
        fake.set_failure(failure)
        assert source_error(wonde, fake).kind == kind

    def test_the_500_carries_the_xporter_error_body(self, fake):
        fake.set_failure("500")
        error = source_error(xporter, fake)
        assert error.status == 500 and "Something went wrong" in error.detail and not error.permanent

    def test_down_refuses_connections_and_coming_back_uses_the_same_address(self, fake):
        base_url = fake.base_url
        fake.set_failure("down")
        with pytest.raises(requests.ConnectionError):
            requests.get(base_url + "/__fake__/state", timeout=2)
        fake.set_failure("none")
        assert fake.base_url == base_url
        assert len(xporter(fake).pupils) == 120

    def test_stale_data_is_three_days_old(self, fake):
        fake.set_failure("stale")
        age = datetime.now(UK) - xporter(fake).as_of
        assert timedelta(days=3) - timedelta(minutes=1) < age < timedelta(days=3, minutes=1)

    def test_empty_has_no_students_but_still_has_classes(self, fake, generated):
        fake.set_failure("empty")
        for snapshot in (xporter(fake), wonde(fake)):
            assert snapshot.pupils == () and len(snapshot.groups) == len(generated.classes)

    def test_an_unknown_switch_is_refused(self, fake):
        with pytest.raises(ValueError):
            fake.set_failure("flaky")
        with pytest.raises(ValueError):
            fake.set_scenario("christmas")


class FakeMisControlApiTests:
    def test_the_control_port_switches_failures_and_stays_up_while_the_mis_is_down(self, fake):
        response = requests.post(fake.control_url + "/__fake__/failure", data={"failure": "down"}, timeout=2)
        assert response.status_code == 200 and response.json()["failure"] == "down"
        assert source_error(xporter, fake).kind == "unreachable"
        requests.post(fake.control_url + "/__fake__/failure", json={"failure": "none"}, timeout=2)
        assert len(xporter(fake).pupils) == 120

    def test_the_main_port_serves_the_control_api_too(self, fake):
        response = requests.post(fake.base_url + "/__fake__/scenario?scenario=year-end", timeout=2)
        assert response.json()["scenario"] == "year-end"
        assert requests.get(fake.base_url + "/__fake__/state", timeout=2).json()["pupils"] == 125

    def test_an_unknown_value_is_a_400(self, fake):
        response = requests.post(fake.control_url + "/__fake__/failure", data={"failure": "flaky"}, timeout=2)
        assert response.status_code == 400 and "none" in response.json()["error"]

    def test_the_control_port_serves_no_mis_data(self, fake):
        response = requests.get(fake.control_url + f"/api/v1/School/{fake.data.school_ref}/Students/", timeout=2)
        assert response.status_code == 404


class FakeMisYearEndTests:
    def test_year_six_leaves_today_and_starters_began_two_days_ago(self, fake):
        fake.set_scenario("year-end")
        snapshot = xporter(fake)
        leavers = [p for p in snapshot.pupils if p.leave_date]
        assert leavers and all(p.year_group == "Y6" and p.leave_date == TODAY for p in leavers)
        assert len(leavers) == sum(1 for p in fake.base_data.pupils if p.year_group == "Y6")
        starters = [p for p in snapshot.pupils if p.start_date == TODAY - timedelta(days=2)]
        assert len(starters) == 5 and all(p.year_group == "R" and p.upn for p in starters)

    def test_some_pupils_move_class_within_their_year(self):
        generated = FakeSchoolData.generate(n_pupils=420, seed=3)  # two classes in every year
        with FakeMis.start(data=generated, today=TODAY, scenario="year-end") as fake:
            after = xporter(fake).pupils
        before = {p.mis_id: p for p in generated.pupils}
        moved = [p for p in after if p.mis_id in before and p.group_mis_id != before[p.mis_id].class_id]
        assert len(moved) == sum(1 for p in generated.pupils if p.year_group != "Y6") // 10
        assert all(p.year_group == before[p.mis_id].year_group for p in moved)

    def test_starters_have_new_unique_valid_identifiers(self, generated):
        after = generated.year_end(today=TODAY)
        assert len({p.mis_id for p in after.pupils}) == len(after.pupils)
        assert len({p.upn for p in after.pupils}) == len(after.pupils)
        for pupil in after.pupils[-5:]:
            validate_upn(pupil.upn)

    def test_back_to_normal_restores_the_school(self, fake):
        fake.set_scenario("year-end")
        fake.set_scenario("normal")
        assert not any(p.leave_date for p in xporter(fake).pupils)


class FakeSchoolDataTests:
    def test_generation_is_pure_and_repeatable(self):
        assert FakeSchoolData.generate(n_pupils=300, seed=5) == FakeSchoolData.generate(n_pupils=300, seed=5)
        assert FakeSchoolData.generate(n_pupils=300, seed=5) != FakeSchoolData.generate(n_pupils=300, seed=6)

    def test_a_thousand_pupils_with_valid_unique_upns_in_classes_of_about_thirty(self):
        data = FakeSchoolData.generate(n_pupils=1000, seed=1)
        assert len(data.pupils) == 1000 and len({p.upn for p in data.pupils}) == 1000
        for pupil in data.pupils:
            validate_upn(pupil.upn)
        sizes = [sum(1 for p in data.pupils if p.class_id == c.mis_id) for c in data.classes]
        assert max(sizes) <= 30 and min(sizes) > 0

    def test_from_school_lists_the_schools_active_pupils_classes_and_teachers(self, people):
        people.pupil.upn, people.pupil.admission_number = "J826200100001", "001275"
        people.pupil.save()
        data = FakeSchoolData.from_school(people.school_a)
        assert [(p.mis_id, p.upn, p.admission_number, p.class_id) for p in data.pupils] == [
            (str(people.pupil.pk), "J826200100001", "001275", str(people.class_a.pk)),
        ]
        assert [(c.mis_id, c.name, c.year_group) for c in data.classes] == [
            (str(people.class_a.pk), "Year 3 Oak", "Y3")
        ]
        teacher = next(s for s in data.staff if s.mis_id == str(people.teacher.pk))
        assert teacher.class_ids == (str(people.class_a.pk),) and teacher.is_teacher

    def test_from_school_keeps_existing_mis_ids_and_leaves_out_leavers(self, people):
        people.pupil.mis_id = "3116"
        people.pupil.save()
        people.class_a.mis_id, people.class_a.mis_managed = "188", True
        people.class_a.save()
        leaver = type(people.pupil).objects.create(
            username="a-leaver", school=people.school_a, role=Role.PUPIL, status="leaver", is_active=False
        )
        data = FakeSchoolData.from_school(people.school_a)
        assert [(p.mis_id, p.class_id) for p in data.pupils] == [("3116", "188")]
        assert leaver.pk not in {int(p.mis_id) for p in data.pupils if p.mis_id.isdigit()}

    def test_the_fake_serves_a_school_from_the_database_by_slug(self, people):
        extra = Group.objects.create(school=people.school_a, name="Year 4 Ash", year_group="Y4")
        GroupMembership.objects.create(group=extra, user=people.teacher, role="teacher", start_date=TODAY)
        with FakeMis.start(school="a") as fake:
            snapshot = xporter(fake)
        assert [(p.forename, p.group_mis_id) for p in snapshot.pupils] == [("Pupil", str(people.class_a.pk))]
        assert {g.name for g in snapshot.groups} == {"Year 3 Oak", "Year 4 Ash"}
        teacher = next(s for s in snapshot.staff if s.mis_id == str(people.teacher.pk))
        assert set(teacher.group_mis_ids) == {str(people.class_a.pk), str(extra.pk)}
        # School B's pupil is not served.
        assert str(people.pupil_b.pk) not in {p.mis_id for p in snapshot.pupils}


class FakeMisCommandTests:
    def test_the_command_serves_generated_data_until_stopped(self):
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dbprimary.settings"}
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "fake_mis", "--port", "0", "--generate", "40", "--failure", "stale"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            lines = []
            while not any("Serving on" in line for line in lines):
                line = proc.stdout.readline()
                assert line, "".join(lines)
                lines.append(line)
            url = re.search(r"Serving on (http://\S+)", "".join(lines)).group(1)
            state = requests.get(url + "/__fake__/state", timeout=5).json()
            assert state["pupils"] == 40 and state["failure"] == "stale"
            estab = re.search(r"estab (\d+)", "".join(lines + [proc.stdout.readline() for _ in range(4)])).group(1)
            body = requests.post(
                url + "/idaas/sts/STS/GetToken", json={"estab": estab, "password": "fake-mis-password"}, timeout=5
            ).json()
            assert body["token"]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        assert proc.returncode == 0

    def test_an_unknown_school_is_a_clear_error(self, db):
        from django.core.management import CommandError, call_command

        with pytest.raises(CommandError, match="no school with slug 'nowhere'"):
            call_command("fake_mis", "--school", "nowhere", "--port", "0")
