"""Validation rules: every problem collected, with row, column and message; nothing written."""

import pytest

from accounts.importer.reader import read_upload
from accounts.importer.validate import validate_rows
from accounts.models import Group, GroupMembership, School, User

from .files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def preview_of(school, rows, *, header=None, create_groups=False, name="pupils.csv"):
    kwargs = {} if header is None else {"header": header}
    data = csv_bytes(rows, **kwargs) if name.endswith(".csv") else xlsx_bytes(rows, **kwargs)
    read = read_upload(name=name, data=data, max_rows=5000, max_bytes=5 * 1024 * 1024)
    return validate_rows(school=school, read=read, create_groups=create_groups)


def messages(preview):
    return [(p.row, p.column, p.message) for p in preview.problems]


class RequiredFieldTests:
    def test_a_valid_row_is_new_with_a_generated_username(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "", "", ""]])
        (row,) = preview.rows
        assert row.outcome == "new"
        assert row.username == "zoeo" and row.username_generated
        assert row.theme_label == "Improver"  # from the class's year group (Y3)
        assert preview.can_import

    def test_every_problem_is_collected_not_just_the_first(self, people):
        preview = preview_of(
            people.school_a,
            [["", "", "", "", "", "12", ""], ["A" * 51, "B" * 51, "Year 3 Oak", "", "", "", ""]],
        )
        assert messages(preview) == [
            (2, "Forename", "Enter a forename"),
            (2, "Surname", "Enter a surname"),
            (2, "Group", "Enter the pupil's class"),
            (3, "Forename", "Forename must be 50 characters or fewer"),
            (3, "Surname", "Surname must be 50 characters or fewer"),
        ]
        assert not preview.can_import

    def test_a_missing_column_is_a_file_level_problem(self, people):
        preview = preview_of(people.school_a, [["Zoë", "Year 3 Oak"]], header=["Forename", "Class"])
        assert (None, "", "The file has no Surname column. Add a column headed “Surname”.") in messages(preview)

    def test_a_headers_only_file_is_a_file_level_problem(self, people):
        preview = preview_of(people.school_a, [])
        assert messages(preview) == [(None, "", "The file has a header row but no pupils in it.")]
        assert not preview.can_import

    def test_a_formula_is_an_error_for_that_cell(self, people):
        preview = preview_of(people.school_a, [["Zoë", "=A1", "Year 3 Oak"]], name="p.xlsx", header=["Forename", "Surname", "Group"])
        assert messages(preview) == [(2, "Surname", "This cell holds a formula; type the surname itself instead")]


class GroupTests:
    def test_an_unknown_class_is_an_error(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 9 Pine"]])
        assert messages(preview) == [
            (2, "Group", "There is no class called “Year 9 Pine”. Create it first, or tick “Create missing classes”")
        ]
        assert preview.missing_groups == ["Year 9 Pine"]

    def test_another_schools_class_is_unknown(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Ash"]])
        assert preview.rows[0].outcome == "error"

    def test_class_names_match_case_insensitively(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "year 3 OAK"]])
        assert preview.rows[0].outcome == "new"
        assert preview.rows[0].group == "Year 3 Oak"

    def test_create_missing_classes_accepts_new_classes_and_guesses_their_year(self, people):
        preview = preview_of(
            people.school_a,
            [["Ben", "Ray", "Reception Robins"], ["Cara", "Lee", "reception robins"]],
            header=["Forename", "Surname", "Class"],
            create_groups=True,
        )
        assert [r.outcome for r in preview.rows] == ["new", "new"]
        assert preview.missing_groups == ["Reception Robins"]
        assert [r.group for r in preview.rows] == ["Reception Robins", "Reception Robins"]
        assert preview.rows[0].theme_label == "Early Years"
        assert not Group.objects.filter(name="Reception Robins").exists()


class UsernameTests:
    def test_a_badly_formed_username_is_an_error(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "zoë o", "", "", ""]])
        assert messages(preview) == [
            (2, "Username", "Username must be 2 to 30 letters, digits, dots, dashes or underscores, starting with a letter or digit")
        ]

    def test_a_username_taken_on_the_platform_in_any_case_is_an_error(self, people):
        preview = preview_of(people.school_a, [["Bo", "Ray", "Year 3 Oak", "B-PUPIL", "", "", ""]])
        assert messages(preview) == [(2, "Username", "Username “B-PUPIL” is already taken; choose another or leave it blank")]

    def test_duplicate_usernames_differing_only_in_case_are_an_error(self, people):
        preview = preview_of(
            people.school_a,
            [["Zoë", "O'Brien", "Year 3 Oak", "zoeo", "", "", ""], ["Zak", "Owen", "Year 3 Oak", "ZoeO", "", "", ""]],
        )
        assert messages(preview) == [(3, "Username", "Username “ZoeO” is also in row 2; each pupil needs their own")]

    def test_generated_usernames_avoid_the_platform_the_file_and_each_other(self, people):
        User.objects.create_user(username="ZOEO", password="x" * 8, school=people.school_b, role="pupil")
        preview = preview_of(
            people.school_a,
            [
                ["Zoë", "O'Brien", "Year 3 Oak", "", "", "", ""],
                ["Zoe", "Oakes", "Year 3 Oak", "zoeo2", "", "", ""],
                ["Zoey", "Owusu", "Year 3 Oak", "", "", "", ""],
                ["Zoe", "Orr", "Year 3 Oak", "", "", "", ""],
            ],
        )
        assert [r.username for r in preview.rows] == ["zoeo3", "zoeo2", "zoeyo", "zoeo4"]
        assert [r.username_generated for r in preview.rows] == [True, False, True, True]


class PasswordTests:
    def test_a_short_password_breaks_the_schools_policy(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "cat1", "", ""]])
        assert messages(preview) == [(2, "Password", "Password must be at least 6 characters")]

    def test_the_policy_follows_the_schools_password_style(self, people):
        School.objects.filter(pk=people.school_a.pk).update(password_style="random")
        people.school_a.refresh_from_db()
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "tiger42", "", ""]])
        assert messages(preview) == [(2, "Password", "Password must be at least 8 characters")]

    def test_passwords_never_reach_the_stored_rows(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "secret-tiger", "", ""]])
        stored = preview.rows[0].as_json()
        assert "secret-tiger" not in str(stored)
        assert stored["has_password"] is True


class AdmissionNumberTests:
    def test_an_admission_number_repeated_in_the_file_is_an_error(self, people):
        preview = preview_of(
            people.school_a,
            [["Zoë", "O'Brien", "Year 3 Oak", "", "", "77", ""], ["Ben", "Ray", "Year 3 Oak", "", "", "77", ""]],
        )
        assert messages(preview) == [(3, "Admission number", "Admission number 77 is also in row 2")]

    def test_an_admission_number_of_a_staff_account_or_leaver_is_an_error(self, people):
        User.objects.filter(pk=people.teacher.pk).update(admission_number="88")
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "", "88", ""]])
        assert messages(preview) == [(2, "Admission number", "Admission number 88 already belongs to another account in the school")]

    def test_an_admission_number_used_in_another_school_is_fine(self, people):
        User.objects.filter(pk=people.pupil_b.pk).update(admission_number="99")
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "", "99", ""]])
        assert preview.rows[0].outcome == "new"

    def test_an_over_long_admission_number_is_an_error(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "", "1" * 21, ""]])
        assert messages(preview) == [(2, "Admission number", "Admission number must be 20 characters or fewer")]


class ThemeTests:
    @pytest.mark.parametrize(
        "typed,label",
        [("Early Years", "Early Years"), ("early_years", "Early Years"), ("EYFS", "Early Years"), ("starter", "Starter"),
         ("KS1", "Starter"), ("IMPROVER", "Improver"), ("ks2", "Improver")],
    )
    def test_themes_and_their_obvious_aliases_are_understood(self, people, typed, label):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "", "", typed]])
        assert preview.rows[0].outcome == "new"
        assert preview.rows[0].theme_label == label

    def test_an_unknown_theme_is_an_error(self, people):
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Year 3 Oak", "", "", "", "Purple"]])
        assert messages(preview) == [(2, "Homepage theme", "Homepage theme must be one of Early Years, Starter, Improver")]

    def test_a_blank_theme_defaults_from_the_classs_year_group(self, people):
        Group.objects.create(school=people.school_a, name="Robins", year_group="R")
        preview = preview_of(people.school_a, [["Zoë", "O'Brien", "Robins", "", "", "", ""]])
        assert preview.rows[0].theme == "" and preview.rows[0].theme_label == "Early Years"


class DuplicateTests:
    def test_same_name_and_class_as_an_active_pupil_is_a_likely_duplicate(self, people):
        preview = preview_of(people.school_a, [["pupil", "TESTER", "Year 3 Oak", "", "", "", ""]])
        (row,) = preview.rows
        assert row.outcome == "duplicate"
        assert row.duplicate_tickable
        assert row.duplicate_reason == "pupil TESTER is already an active pupil in Year 3 Oak"
        assert preview.can_import  # duplicates alone do not block the import

    def test_same_name_in_another_class_is_new(self, people):
        Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        preview = preview_of(people.school_a, [["Pupil", "Tester", "Year 4 Elm", "", "", "", ""]])
        assert preview.rows[0].outcome == "new"

    def test_a_leaver_with_the_same_name_and_class_is_not_a_duplicate(self, people):
        GroupMembership.objects.filter(user=people.pupil).update(end_date=people.school_a.local_today())
        User.objects.filter(pk=people.pupil.pk).update(status="leaver", is_active=False)
        preview = preview_of(people.school_a, [["Pupil", "Tester", "Year 3 Oak", "", "", "", ""]])
        assert preview.rows[0].outcome == "new"

    def test_same_admission_number_as_an_active_pupil_is_a_duplicate_that_cannot_be_ticked(self, people):
        User.objects.filter(pk=people.pupil.pk).update(admission_number="555")
        preview = preview_of(people.school_a, [["Someone", "Else", "Year 3 Oak", "", "", "555", ""]])
        (row,) = preview.rows
        assert row.outcome == "duplicate"
        assert not row.duplicate_tickable
        assert "Same admission number as Pupil Tester" in row.duplicate_reason
