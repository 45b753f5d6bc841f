from datetime import UTC, date, datetime, timedelta

import pytest

from misync import normalise


class WhitespaceAndNameTests:
    def test_it_collapses_internal_whitespace_and_strips_the_ends(self):
        assert normalise.clean("  Mary   Jane \t Smith\n") == "Mary Jane Smith"

    def test_empty_values_become_none(self):
        assert normalise.clean("   ") is None
        assert normalise.clean(None) is None

    def test_numbers_become_their_text_without_a_trailing_point_zero(self):
        assert normalise.clean(1275) == "1275"
        assert normalise.clean(1275.0) == "1275"

    def test_a_missing_name_is_an_empty_string(self):
        assert normalise.name(None) == ""
        assert normalise.name(" Ó  Súilleabháin ") == "Ó Súilleabháin"


class YearGroupTests:
    @pytest.mark.parametrize(
        "label", ["Year 5", "Y5", "5", "05", "Year  5 ", "NC Year 5", "year 5", "NC5", "Yr 5", "Y 5"]
    )
    def test_year_five_in_all_its_spellings(self, label):
        assert normalise.year_group(label) == "Y5"

    @pytest.mark.parametrize("label", ["Reception", "Rec", "R", "YR", "FS2", "Year R", "reception", "0"])
    def test_reception_in_all_its_spellings(self, label):
        assert normalise.year_group(label) == "R"

    @pytest.mark.parametrize("label", ["FS1", "Nursery 2", "N2", "Year  N2", "-1"])
    def test_the_older_nursery_year(self, label):
        assert normalise.year_group(label) == "N2"

    @pytest.mark.parametrize("label", ["N1", "Nursery 1", "Year N1", "-2"])
    def test_the_younger_nursery_year(self, label):
        assert normalise.year_group(label) == "N1"

    @pytest.mark.parametrize("label", ["Year 7", "Y11", "Sixth form", "", None, "Staff", "13"])
    def test_anything_else_is_unknown(self, label):
        assert normalise.year_group(label) == ""

    def test_a_number_is_read_like_its_text(self):
        assert normalise.year_group(3) == "Y3"

    @pytest.mark.parametrize("grade,expected", [("05", "Y5"), ("KG", "R"), ("PK", "N2"), ("03,04", "Y3"), ("09", "")])
    def test_oneroster_grades(self, grade, expected):
        assert normalise.year_group_from_grade(grade) == expected


class UpnTests:
    def test_it_upper_cases_and_removes_spaces(self):
        assert normalise.upn(" a123 456 789 012 ") == "A123456789012"

    def test_only_a_valid_upn_is_usable_for_matching(self):
        from accounts.models import upn_check_letter

        body = "826200126001"
        good = upn_check_letter(body) + body
        assert normalise.valid_upn(good.lower()) == good
        wrong_letter = ("A" if good[0] != "A" else "B") + body
        assert normalise.valid_upn(wrong_letter) is None
        assert normalise.valid_upn("X12") is None
        assert normalise.valid_upn("") is None


class DateTests:
    @pytest.mark.parametrize(
        "value",
        [
            "2026-07-23",
            "2026-07-23T00:00:00",
            "2026-07-23T09:15:00.1234567Z",
            "23/07/2026",
            " 23/07/2026 ",
            "23.07.2026",
            {"date": "2026-07-23 00:00:00.000000", "timezone_type": 3, "timezone": "UTC"},
            date(2026, 7, 23),
            datetime(2026, 7, 23, 10, 0),
        ],
    )
    def test_every_way_an_mis_writes_a_date(self, value):
        assert normalise.parse_date(value) == date(2026, 7, 23)

    def test_uk_dates_are_day_first(self):
        assert normalise.parse_date("03/09/2026") == date(2026, 9, 3)

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_empty_dates_are_none(self, value):
        assert normalise.parse_date(value) is None

    @pytest.mark.parametrize("value", ["31/02/2026", "next week", "2026-13-01"])
    def test_impossible_dates_raise_value_error(self, value):
        with pytest.raises(ValueError):
            normalise.parse_date(value)


class AsOfTests:
    def test_a_naive_time_is_uk_local_time(self):
        # 02:25 on 20 June (BST) is 01:25 UTC.
        assert normalise.parse_as_of("2018-06-20T02:25:06.223") == datetime(2018, 6, 20, 1, 25, 6, 223000, tzinfo=UTC)

    def test_a_naive_winter_time_is_gmt(self):
        assert normalise.parse_as_of("2026-12-01T02:30:00") == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)

    def test_an_explicit_zone_is_kept(self):
        parsed = normalise.parse_as_of("2018-06-24T18:55:26.1852229Z")
        assert parsed == datetime(2018, 6, 24, 18, 55, 26, 185222, tzinfo=UTC)
        offset = normalise.parse_as_of("2026-07-23T10:00:00+02:00")
        assert offset.utcoffset() == timedelta(hours=2)

    def test_wondes_date_objects_carry_their_zone(self):
        parsed = normalise.parse_as_of({"date": "2023-09-30 05:06:45.000000", "timezone": "UTC"})
        assert parsed == datetime(2023, 9, 30, 5, 6, 45, tzinfo=UTC)

    def test_unreadable_or_missing_times_are_none(self):
        assert normalise.parse_as_of("yesterday") is None
        assert normalise.parse_as_of(None) is None
        assert normalise.parse_as_of("") is None

    def test_the_result_is_always_aware(self):
        assert normalise.parse_as_of(date(2026, 7, 23)).tzinfo is not None


class BoolTests:
    @pytest.mark.parametrize("value,expected", [(1, True), (0, False), ("true", True), ("FALSE", False), ("yes", True)])
    def test_it_reads_the_usual_spellings(self, value, expected):
        assert normalise.parse_bool(value, default=not expected) is expected

    def test_empty_is_the_default(self):
        assert normalise.parse_bool(None, default=True) is True
        assert normalise.parse_bool("", default=False) is False
