"""build_plan as a pure function on fixture snapshots (DESIGN §3's worked timeline and the rules)."""

from datetime import date

import pytest

from misync.planner import Plan, build_plan
from misync.snapshot import Snapshot
from misync.state import SchoolState, StateGroup, StatePupil, StateStaff, Thresholds
from tests.misync.connectors import GROUPS, filler, pupil, snapshot, teacher, upn

T = Thresholds(percent=10, count=50)

OAK3 = StateGroup(id=3, name="3 Oak", mis_id="G3", mis_managed=True, year_group="Y3")
OAK4 = StateGroup(id=4, name="4 Oak", mis_id="G4", mis_managed=True, year_group="Y4")
PINE6 = StateGroup(id=6, name="6 Pine", mis_id="G6", mis_managed=True, year_group="Y6")
ROBINS = StateGroup(id=9, name="Reception Robins", mis_id="GR", mis_managed=True, year_group="R")
ALL_GROUPS = (OAK3, OAK4, PINE6, ROBINS)


def account(id, first, last, *, mis_id=None, group_id=3, year="Y3", status="active", **extra) -> StatePupil:
    theme = {"R": "early_years", "Y1": "starter", "Y2": "starter"}.get(year, "improver")
    return StatePupil(
        id=id,
        username=f"{first.lower()}{last[0].lower()}",
        first_name=first,
        last_name=last,
        status=status,
        mis_id=mis_id,
        year_group=year,
        theme=extra.pop("theme", theme),
        group_id=group_id,
        **extra,
    )


def plan_for(state_pupils, snap: Snapshot, today: date, groups=ALL_GROUPS, staff=()) -> Plan:
    state = SchoolState(school_id=1, pupils=tuple(state_pupils), groups=tuple(groups), staff=tuple(staff))
    return build_plan(state=state, snapshot=snap, today=today, thresholds=T)


AMY = account(1, "Amy", "Adams", mis_id="AMY", group_id=6, year="Y6")
CARA = account(3, "Cara", "Cole", mis_id="CARA", group_id=3, year="Y3")


def timeline_snapshot():
    return snapshot(
        pupils=[
            pupil("AMY", "Amy", "Adams", group="G6", year="Y6", leave_date=date(2026, 7, 23)),
            pupil("BEN", "Ben", "Brown", group="GR", year="R", start_date=date(2026, 9, 3)),
            pupil("CARA", "Cara", "Cole", group="G4", year="Y4"),
        ]
    )


class WorkedTimelineTests:
    @pytest.mark.parametrize("today", [date(2026, 7, 21), date(2026, 7, 22)])
    def test_amy_stays_active_on_the_days_before_her_leave_date(self, today):
        plan = plan_for([AMY, CARA], timeline_snapshot(), today)
        assert [leave.account_id for leave in plan.leaves] == []

    @pytest.mark.parametrize("today", [date(2026, 7, 23), date(2026, 7, 24), date(2026, 9, 1)])
    def test_amy_is_a_leaver_from_the_early_hours_of_her_leave_date(self, today):
        plan = plan_for([AMY, CARA], timeline_snapshot(), today)
        assert [(leave.account_id, leave.leave_date, leave.reason) for leave in plan.leaves] == [
            (1, "2026-07-23", "leave_date")
        ]
        assert plan.vanished == 0 and not plan.held

    @pytest.mark.parametrize("today", [date(2026, 9, 2), date(2026, 9, 3)])
    def test_ben_is_not_created_on_or_before_his_start_date(self, today):
        plan = plan_for([AMY, CARA], timeline_snapshot(), today)
        assert [c.mis_id for c in plan.creates] == []

    def test_ben_is_created_the_night_after_his_start_date_in_his_class_with_the_early_years_theme(self):
        plan = plan_for([AMY, CARA], timeline_snapshot(), date(2026, 9, 4))
        [ben] = plan.creates
        assert (ben.mis_id, ben.group_name, ben.year_group, ben.theme) == (
            "BEN",
            "Reception Robins",
            "R",
            "early_years",
        )

    def test_cara_moves_to_4_oak_with_her_year_group_and_theme_following(self):
        plan = plan_for([AMY, CARA], timeline_snapshot(), date(2026, 7, 21))
        [move] = plan.moves
        assert (move.account_id, move.from_group_name, move.to_group_name) == (3, "3 Oak", "4 Oak")
        [update] = plan.updates
        assert update.changes == {"year_group": ["Y3", "Y4"]}

    def test_a_pinned_theme_does_not_follow_the_year_group(self):
        little = account(5, "Dan", "Day", mis_id="DAN", group_id=9, year="R", theme="improver", theme_pinned=True)
        plan = plan_for(
            [little], snapshot(pupils=[pupil("DAN", "Dan", "Day", group="G3", year="Y3")]), date(2026, 9, 4)
        )
        assert plan.updates[0].changes == {"year_group": ["R", "Y3"]}

    def test_an_export_with_forty_percent_missing_and_no_leave_dates_is_held(self):
        state = [account(100 + i, f"Kid{i}", "Smith", mis_id=f"P{i:04d}") for i in range(100)]
        snap = snapshot(pupils=filler(60))
        plan = plan_for(state, snap, date(2026, 7, 21))
        assert plan.vanished == 40
        assert plan.held
        assert "40 of 100 active pupils" in plan.hold_reasons[0]


class HoldThresholdTests:
    def _state(self, n):
        return [account(100 + i, f"Kid{i}", "Smith", mis_id=f"P{i:04d}") for i in range(n)]

    def test_vanished_pupils_below_the_threshold_become_leavers_dated_today(self):
        plan = plan_for(self._state(100), snapshot(pupils=filler(95)), date(2026, 7, 21))
        assert not plan.held
        assert {(leave.reason, leave.leave_date) for leave in plan.leaves} == {("vanished", "2026-07-21")}
        assert len(plan.leaves) == 5

    def test_more_than_the_percentage_is_held(self):
        plan = plan_for(self._state(100), snapshot(pupils=filler(89)), date(2026, 7, 21))
        assert plan.held

    def test_exactly_the_percentage_is_not_held(self):
        plan = plan_for(self._state(100), snapshot(pupils=filler(90)), date(2026, 7, 21))
        assert not plan.held

    def test_more_than_the_count_is_held_even_under_the_percentage(self):
        plan = plan_for(self._state(1000), snapshot(pupils=filler(949)), date(2026, 7, 21))
        assert plan.vanished == 51 and plan.held

    def test_explicit_leave_dates_never_count_towards_the_hold(self):
        state = self._state(100)
        pupils = filler(40) + [
            p.__class__(**{**p.__dict__, "leave_date": date(2026, 7, 23)}) for p in filler(60, start=40)
        ]
        plan = plan_for(state, snapshot(pupils=pupils), date(2026, 7, 23))
        assert plan.vanished == 0 and not plan.held
        assert len(plan.leaves) == 60

    def test_an_empty_export_is_held(self):
        plan = plan_for(self._state(3), snapshot(pupils=[]), date(2026, 7, 21))
        assert plan.held
        assert "no pupils" in plan.hold_reasons[0]

    def test_a_whole_class_vanishing_is_named_in_the_hold(self):
        state = [account(100 + i, f"Kid{i}", "Smith", mis_id=f"P{i:04d}", group_id=6, year="Y6") for i in range(30)]
        state += [account(200 + i, f"Kid{i}", "Jones", mis_id=f"Q{i:04d}") for i in range(20)]
        snap = snapshot(
            pupils=[pupil(f"Q{i:04d}", f"Kid{i}", "Jones") for i in range(20)],
            groups=[g for g in GROUPS if g.mis_id != "G6"],
        )
        plan = plan_for(state, snap, date(2026, 7, 21))
        assert plan.held
        assert any("6 Pine" in reason for reason in plan.hold_reasons)

    def test_manual_pupils_without_an_mis_id_are_never_vanished(self):
        plan = plan_for([account(1, "Hand", "Made", mis_id=None)], snapshot(pupils=filler(3)), date(2026, 9, 10))
        assert plan.vanished == 0 and plan.leaves == []


class MatchingTests:
    def test_a_manual_account_is_matched_by_upn_and_becomes_mis_managed(self):
        manual = account(7, "Eve", "Evans", upn=upn(7))
        plan = plan_for([manual], snapshot(pupils=[pupil("EVE", "Eve", "Evans", upn=upn(7))]), date(2026, 9, 10))
        assert plan.creates == []
        assert plan.updates[0].changes == {"mis_id": [None, "EVE"]}

    def test_then_by_admission_number(self):
        manual = account(7, "Eve", "Evans", admission_number="A0007")
        plan = plan_for(
            [manual], snapshot(pupils=[pupil("EVE", "Eve", "Evans", admission_number="A0007")]), date(2026, 9, 10)
        )
        assert plan.creates == [] and plan.updates[0].account_id == 7

    def test_the_mis_id_wins_over_the_upn(self):
        a = account(7, "Eve", "Evans", mis_id="EVE")
        b = account(8, "Eva", "Evans", upn=upn(8))
        plan = plan_for([a, b], snapshot(pupils=[pupil("EVE", "Eve", "Evans", upn=upn(8))]), date(2026, 9, 10))
        assert [u.account_id for u in plan.updates] == [7]

    def test_a_school_switching_mis_keeps_its_accounts_through_the_upn(self):
        old = account(7, "Eve", "Evans", mis_id="SIMS-7", upn=upn(7))
        plan = plan_for([old], snapshot(pupils=[pupil("ARBOR-7", "Eve", "Evans", upn=upn(7))]), date(2026, 9, 10))
        assert plan.creates == [] and plan.leaves == []
        assert plan.updates[0].changes == {"mis_id": ["SIMS-7", "ARBOR-7"]}

    def test_a_upn_does_not_take_an_account_another_export_record_claims_by_mis_id(self):
        a = account(7, "Eve", "Evans", mis_id="EVE", upn=upn(7))
        snap = snapshot(
            pupils=[
                pupil("OTHER", "Eva", "Evans", upn=upn(7), start_date=date(2025, 9, 1)),
                pupil("EVE", "Eve", "Evans"),
            ]
        )
        plan = plan_for([a], snap, date(2026, 9, 10))
        assert [c.mis_id for c in plan.creates] == ["OTHER"]

    def test_name_and_date_of_birth_are_only_a_suggestion(self):
        manual = account(7, "Eve", "Evans", date_of_birth=date(2019, 5, 1))
        snap = snapshot(
            pupils=[pupil("EVE", "Eve", "Evans", date_of_birth=date(2019, 5, 1), start_date=date(2025, 9, 1))]
        )
        plan = plan_for([manual], snap, date(2026, 9, 10))
        assert [c.mis_id for c in plan.creates] == ["EVE"]
        assert [(s.account_id, s.mis_id) for s in plan.suggestions] == [(7, "EVE")]

    def test_a_leaver_back_on_roll_is_reinstated_not_duplicated(self):
        gone = account(7, "Eve", "Evans", mis_id="EVE", status="leaver", group_id=None, leave_date=date(2026, 7, 1))
        plan = plan_for([gone], snapshot(pupils=[pupil("EVE", "Eve", "Evans")]), date(2026, 9, 10))
        assert plan.creates == []
        assert [(r.account_id, r.group_name) for r in plan.reinstates] == [(7, "3 Oak")]

    def test_pre_admissions_are_not_created(self):
        snap = snapshot(pupils=[pupil("NEW", "Nia", "New", on_roll=False, start_date=date(2026, 9, 3))])
        assert plan_for([], snap, date(2026, 9, 10)).creates == []

    def test_names_changed_in_the_mis_are_updated(self):
        plan = plan_for([CARA], snapshot(pupils=[pupil("CARA", "Carys", "Cole")]), date(2026, 9, 10))
        assert plan.updates[0].changes == {"first_name": ["Cara", "Carys"]}


class DataQualityTests:
    def test_an_invalid_upn_is_ignored_with_a_warning(self):
        snap = snapshot(pupils=[pupil("NEW", "Nia", "New", upn="A12345678901X", start_date=date(2025, 9, 3))])
        plan = plan_for([], snap, date(2026, 9, 10))
        assert plan.creates[0].upn is None
        assert any("invalid UPN" in w for w in plan.warnings)


class GroupAndStaffTests:
    def test_a_school_switching_mis_keeps_its_classes_by_name(self):
        old = StateGroup(id=3, name="3 Oak", mis_id="SIMS-G3", mis_managed=True, year_group="Y3")
        kid = account(1, "Kid", "One", mis_id="SIMS-1", upn=upn(1), group_id=3)
        snap = snapshot(
            pupils=[pupil("ARBOR-1", "Kid", "One", upn=upn(1), group="G3")],
            groups=[g for g in GROUPS if g.mis_id == "G3"],
        )
        plan = plan_for([kid], snap, date(2026, 9, 10), groups=[old])
        assert plan.group_creates == [] and plan.group_removes == [] and plan.moves == []
        assert plan.group_updates[0].changes == {"mis_id": ["SIMS-G3", "G3"]}

    def test_new_classes_are_created_and_a_manual_class_of_the_same_name_is_adopted(self):
        manual = StateGroup(id=3, name="3 oak", year_group="Y3")
        plan = plan_for([], snapshot(pupils=[]), date(2026, 9, 10), groups=[manual])
        assert sorted(g.name for g in plan.group_creates) == ["4 Oak", "6 Pine", "Reception Robins"]
        [adopt] = plan.group_updates
        assert adopt.changes["mis_id"] == [None, "G3"] and adopt.changes["mis_managed"] == [False, True]
        assert adopt.changes["name"] == ["3 oak", "3 Oak"]

    def test_mis_classes_gone_from_the_export_are_removed_only_when_empty(self):
        old = StateGroup(id=20, name="Old Class", mis_id="OLD", mis_managed=True)
        busy = StateGroup(id=21, name="Busy Class", mis_id="BUSY", mis_managed=True)
        manual = StateGroup(id=22, name="Art Club")
        kid = account(1, "Kid", "One", mis_id="K1", group_id=21)
        snap = snapshot(
            pupils=[pupil("K1", "Kid", "One", group="BUSY")], groups=GROUPS
        )  # BUSY is not in the export, but the pupil still points at it
        plan = plan_for([kid], snap, date(2026, 9, 10), groups=ALL_GROUPS + (old, busy, manual))
        assert [g.name for g in plan.group_removes] == ["Old Class"]
        assert any("Busy Class" in w for w in plan.warnings)

    def test_staff_are_created_and_attached_to_their_classes(self):
        snap = snapshot(pupils=[], staff=[teacher("T1", "Helen", "Parker", groups=("G3",), email="hp@example.org")])
        plan = plan_for([], snap, date(2026, 9, 10))
        assert [s.mis_id for s in plan.staff_creates] == ["T1"]
        assert [(a.staff_mis_id, a.group_mis_id) for a in plan.teacher_attaches] == [("T1", "G3")]

    def test_existing_staff_are_matched_by_email_and_updated(self):
        existing = StateStaff(
            id=50,
            username="hparker",
            first_name="Helen",
            last_name="Parker",
            status="active",
            email="HP@example.org",
            group_ids=(3,),
        )
        snap = snapshot(
            pupils=[], staff=[teacher("T1", "Helen", "Parker-Jones", groups=("G3",), email="hp@example.org")]
        )
        plan = plan_for([], snap, date(2026, 9, 10), staff=[existing])
        assert plan.staff_creates == [] and plan.teacher_attaches == []
        assert plan.staff_updates[0].changes == {"last_name": ["Parker", "Parker-Jones"], "mis_id": [None, "T1"]}


class DeltaAndReplayTests:
    def test_a_delta_leaves_absent_pupils_alone_and_makes_explicit_deletions_leavers(self):
        state = [account(1, "Kid", "One", mis_id="K1"), account(2, "Kid", "Two", mis_id="K2")]
        snap = snapshot(pupils=[], complete=False, deleted_pupil_ids=("K2",))
        plan = plan_for(state, snap, date(2026, 9, 10))
        assert [(leave.account_id, leave.reason) for leave in plan.leaves] == [(2, "deleted")]
        assert not plan.held and plan.vanished == 0

    def test_the_same_snapshot_gives_each_date_its_own_answer(self):
        snap = timeline_snapshot()
        answers = {
            d: plan_for([AMY, CARA], snap, d).counts for d in (date(2026, 7, 22), date(2026, 7, 23), date(2026, 9, 4))
        }
        assert answers[date(2026, 7, 22)]["left"] == 0
        assert answers[date(2026, 7, 23)]["left"] == 1
        assert answers[date(2026, 9, 4)]["created"] == 1

    def test_the_plan_survives_a_round_trip_through_json(self):
        plan = plan_for([AMY, CARA], timeline_snapshot(), date(2026, 9, 4))
        assert Plan.from_json(plan.to_json()) == plan
