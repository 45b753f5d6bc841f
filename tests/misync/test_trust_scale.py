"""What the trust-scale work changed (issue 9): reads and writes that stay cheap with many schools,
and syncs of several schools at once that pick the same new username."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.credentials import taken_usernames, usernames_generate
from accounts.models import Role, User
from accounts.services import accounts as accounts_service
from misync import apply as apply_module
from misync.apply import update_rows
from misync.selectors import load_school_state
from misync.services import sync_run_create, sync_run_execute
from tests.misync.connectors import connected, pupil, snapshot, static_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


class UpdateRowsTests:
    def test_it_writes_text_with_quotes_commas_and_backslashes_blanks_nulls_and_dates(self, people):
        account = people.pupil
        account.first_name = 'Zoë "Zo", \\N'
        account.last_name = ""
        account.upn = None
        account.date_of_birth = date(2019, 2, 28)
        update_rows([account], ["date_of_birth", "first_name", "last_name", "upn"])
        row = User.objects.values("first_name", "last_name", "upn", "date_of_birth").get(pk=account.pk)
        assert row == {"first_name": 'Zoë "Zo", \\N', "last_name": "", "upn": None, "date_of_birth": date(2019, 2, 28)}

    def test_it_only_touches_the_rows_and_fields_it_is_given(self, people):
        people.pupil.first_name, people.pupil.last_name = "Changed", "Changed"
        update_rows([people.pupil], ["first_name"])
        assert User.objects.get(pk=people.pupil.pk).last_name != "Changed"
        assert User.objects.get(pk=people.teacher.pk).first_name != "Changed"

    def test_bulk_update_and_copy_give_the_same_result(self, people, monkeypatch):
        for method, name in (("bulk_update", "Bulk"), ("copy", "Copied")):
            monkeypatch.setattr(apply_module, "UPDATE_METHOD", method)
            people.pupil.first_name = name
            update_rows([people.pupil], ["first_name"])
            assert User.objects.get(pk=people.pupil.pk).first_name == name

    def test_nothing_to_write_runs_no_query(self, people):
        with CaptureQueriesContext(connection) as ctx:
            update_rows([], ["first_name"])
            update_rows([people.pupil], [])
        assert len(ctx) == 0


class UsernameLookupTests:
    def test_numbered_usernames_of_a_base_are_taken_whatever_their_case(self, people):
        User.objects.create(username="AmeliaA3", school=people.school_b, role=Role.PUPIL)
        User.objects.create(username="ameliaa", school=people.school_a, role=Role.PUPIL)
        assert taken_usernames(["ameliaa"]) == {"ameliaa", "ameliaa3"}

    def test_a_base_ending_in_a_digit_finds_its_numbered_names_and_not_its_stem(self, people):
        for name in ("abc1", "abc12", "abc", "abc2", "abc1x"):
            User.objects.create(username=name, school=people.school_a, role=Role.PUPIL)
        assert taken_usernames(["abc1"]) == {"abc1", "abc12"}
        assert usernames_generate(school=people.school_a, people=[("Abc1", "")]) == ["abc13"]

    def test_no_bases_no_query(self):
        with CaptureQueriesContext(connection) as ctx:
            assert taken_usernames([]) == set()
        assert len(ctx) == 0


class StateReadTests:
    def test_the_state_is_read_in_four_queries_with_pupils_classes_and_teachers(self, connected, static_source):
        school = connected.school_a
        static_source.next = snapshot(pupils=[pupil("AMY", "Amy", "Adams", group="G6", year="Y6")])
        run = sync_run_execute(sync_run_create(school=school, trigger="manual", for_date=date(2026, 7, 20)).pk)
        assert run.status == "succeeded"
        with CaptureQueriesContext(connection) as ctx:
            state = load_school_state(school)
        assert len(ctx) == 4
        amy = next(p for p in state.pupils if p.mis_id == "AMY")
        assert amy.group_id == next(g.id for g in state.groups if g.mis_id == "G6")
        teacher = next(s for s in state.staff if s.id == connected.teacher.pk)
        assert teacher.group_ids == tuple(sorted(connected.teacher.memberships.filter(
            role="teacher", end_date__isnull=True).values_list("group_id", flat=True)))


class ConcurrentUsernameTests:
    def test_a_username_another_schools_sync_committed_meanwhile_is_picked_again(
        self, connected, static_source, monkeypatch
    ):
        # Two schools' syncs run at once (one task per school). Between this sync choosing "amya"
        # and inserting it, the other school's sync commits an "amya" of its own.
        # The sync creates accounts through the shared service, which is where the race is retried.
        real = accounts_service.usernames_generate
        calls = []

        def racing(**kwargs):
            names = real(**kwargs)
            if not calls:
                User.objects.create(username=names[0], school=connected.school_b, role=Role.PUPIL)
            calls.append(names)
            return names

        monkeypatch.setattr(accounts_service, "usernames_generate", racing)
        static_source.next = snapshot(pupils=[pupil("AMY", "Amy", "Adams", group="G6", year="Y6")])
        run = sync_run_execute(
            sync_run_create(school=connected.school_a, trigger="manual", for_date=date(2026, 7, 20)).pk
        )
        assert run.status == "succeeded", run.error_message
        assert calls == [["amya"], ["amya2"]]
        assert User.objects.get(school=connected.school_a, mis_id="AMY").username == "amya2"
        assert User.objects.filter(username="amya", school=connected.school_b).exists()


class UsernameWindowTests:
    """Few new accounts: exact candidates on the index, widening until each base has room."""

    def test_a_popular_base_is_numbered_after_its_existing_names_and_gaps_are_filled(self, people):
        User.objects.bulk_create(
            [User(username="amya" if n == 1 else f"amya{n}", school=people.school_b, role=Role.PUPIL)
             for n in range(1, 30) if n != 7]
        )
        names = usernames_generate(school=people.school_a, people=[("Amy", "Adams")] * 3)
        assert names == ["amya7", "amya30", "amya31"]

    def test_a_base_whose_window_another_base_used_up_still_never_clashes(self, people):
        # "abc" + 12 and "abc1" + 2 are the same username.
        User.objects.create(username="abc13", school=people.school_b, role=Role.PUPIL)
        names = usernames_generate(school=people.school_a, people=[("Abc", "")] * 12 + [("Abc1", "")] * 6)
        assert len(set(names)) == 18 and "abc13" not in names

    def test_many_bases_take_the_one_pass_path_with_the_same_rule(self, people, monkeypatch):
        from accounts import credentials

        User.objects.create(username="amya", school=people.school_b, role=Role.PUPIL)
        monkeypatch.setattr(credentials, "EXACT_LOOKUP_MAX_BASES", 0)
        assert usernames_generate(school=people.school_a, people=[("Amy", "Adams"), ("Amy", "Ash")]) == [
            "amya2", "amya3"
        ]
