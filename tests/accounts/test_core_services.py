"""Shared account services: usernames, passwords, leaving, deleting, purging, credential sheets."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.credential_sheets import Credential, credential_sheet_load, credential_sheet_store, login_cards_pdf
from accounts.credentials import WORDS, password_generate, username_base, usernames_generate
from accounts.models import AuditEntry, GroupMembership, Role, School, User
from accounts.services.accounts import NewAccount, accounts_create
from accounts.services.audit import AuditContext
from accounts.services.leavers import RefusedError, accounts_delete, accounts_mark_left, leavers_purge_expired

pytestmark = pytest.mark.django_db


class UsernameTests:
    def test_the_default_scheme_is_forename_and_surname_initial_in_ascii(self):
        assert username_base(forename="Zoë", surname="O'Brien") == "zoeo"
        assert username_base(forename="Łukasz", surname="Wiśniewski") == "lukaszw"
        assert username_base(forename="Anh", surname="Nguyễn") == "anhn"

    def test_other_schemes(self):
        assert username_base(forename="Zoë", surname="O'Brien", scheme="initial_surname") == "zobrien"
        assert username_base(forename="Zoë", surname="O'Brien", scheme="forename_surname") == "zoe.obrien"

    def test_usernames_are_at_most_twenty_characters(self):
        name = username_base(forename="Maximiliano-Alejandro", surname="Featherstonehaugh", scheme="forename_surname")
        assert len(name) <= 16  # room for a clash number

    def test_clashes_get_a_number_against_the_platform_and_the_batch(self, people):
        User.objects.create(username="ZoeO", school=people.school_b, role=Role.PUPIL)
        names = usernames_generate(
            school=people.school_a, people=[("Zoë", "O'Brien"), ("Zoe", "Owen"), ("Zoe", "Ortiz")], reserved=["zoeo3"]
        )
        assert names == ["zoeo2", "zoeo4", "zoeo5"]


class PasswordTests:
    @pytest.mark.parametrize("style", ["word_digits", "two_words", "random"])
    def test_generated_passwords_never_contain_confusable_characters(self, style):
        for _ in range(200):
            password = password_generate(style=style)
            assert not set(password) & set("0O1lI"), password
            assert len(password) >= 6

    def test_the_word_list_is_curated_and_short(self):
        assert len(WORDS) > 100
        assert all(4 <= len(w) <= 7 and "l" not in w for w in WORDS)


class AccountCreateTests:
    def test_it_creates_pupils_in_their_class_with_generated_credentials_and_audit(self, people):
        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        created = accounts_create(
            ctx=ctx,
            new=[NewAccount(forename="Zoë", surname="O'Brien", group=people.class_a)],
            today=people.school_a.local_today(),
        )
        account = User.objects.get(pk=created[0].account.pk)
        assert account.username == "zoeo"
        assert account.year_group == "Y3" and account.theme == "improver"
        assert account.check_password(created[0].password)
        assert created[0].password not in account.password
        assert GroupMembership.objects.filter(user=account, group=people.class_a, end_date__isnull=True).exists()
        assert AuditEntry.objects.filter(action="created", target_id=account.pk, actor=people.admin).exists()


class LeaverTests:
    def ctx(self, people, actor=None):
        return AuditContext(school=people.school_a, actor=actor or people.admin, source="test")

    def test_a_leaver_is_deactivated_and_out_of_class_with_history_kept(self, people):
        today = people.school_a.local_today()
        assert accounts_mark_left(ctx=self.ctx(people), account_ids={people.pupil.pk}, leave_date=today) == 1
        pupil = User.objects.get(pk=people.pupil.pk)
        assert (pupil.status, pupil.is_active, pupil.leave_date, pupil.left_via) == ("leaver", False, today, "hand")
        membership = GroupMembership.objects.get(user=pupil)
        assert membership.end_date == today
        assert AuditEntry.objects.filter(action="left", target_id=pupil.pk).count() == 1

    def test_leaving_ends_the_leavers_sessions(self, client, people):
        client.force_login(people.pupil)
        assert client.get(reverse("homepage")).status_code == 200
        with_commit = accounts_mark_left
        from django.db import transaction

        with transaction.atomic():
            with_commit(ctx=self.ctx(people), account_ids={people.pupil.pk}, leave_date=people.school_a.local_today())
        assert client.get(reverse("homepage")).status_code == 302

    def test_it_only_touches_the_actors_school(self, people):
        assert accounts_mark_left(ctx=self.ctx(people), account_ids={people.pupil_b.pk}, leave_date=people.school_a.local_today()) == 0
        assert User.objects.get(pk=people.pupil_b.pk).status == "active"

    def test_an_admin_cannot_leave_themselves(self, people):
        with pytest.raises(RefusedError, match="your own account"):
            accounts_mark_left(ctx=self.ctx(people), account_ids={people.admin.pk}, leave_date=people.school_a.local_today())

    def test_nobody_can_delete_the_last_superadmin(self, people):
        with pytest.raises(RefusedError, match="last superadmin"):
            accounts_delete(ctx=self.ctx(people), account_ids={people.superadmin.pk})
        assert User.objects.filter(pk=people.superadmin.pk).exists()

    def test_deleting_removes_the_account_and_the_name_from_the_audit_log(self, people):
        accounts_mark_left(ctx=self.ctx(people), account_ids={people.pupil.pk}, leave_date=people.school_a.local_today())
        accounts_delete(ctx=self.ctx(people), account_ids={people.pupil.pk})
        assert not User.objects.filter(pk=people.pupil.pk).exists()
        labels = set(AuditEntry.objects.filter(target_id=people.pupil.pk).values_list("target_label", flat=True))
        assert labels == {f"Former pupil #{people.pupil.pk}"}


class PurgeTests:
    def test_leavers_past_the_retention_period_are_purged_and_audited(self, people):
        today = people.school_a.local_today()
        old = today - timedelta(days=people.school_a.leaver_retention_days + 1)
        recent = today - timedelta(days=10)
        other = User.objects.create(username="recent", school=people.school_a, role=Role.PUPIL)
        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        accounts_mark_left(ctx=ctx, account_ids={people.pupil.pk}, leave_date=old)
        accounts_mark_left(ctx=ctx, account_ids={other.pk}, leave_date=recent)
        assert leavers_purge_expired(school=people.school_a, today=today) == 1
        assert not User.objects.filter(pk=people.pupil.pk).exists()
        assert User.objects.filter(pk=other.pk).exists()
        entry = AuditEntry.objects.get(action="purged")
        assert entry.batch.kind == "system" and entry.actor is None

    def test_the_daily_task_runs_eagerly_for_every_school(self, people):
        from accounts.tasks import purge_expired_leavers

        old = people.school_b.local_today() - timedelta(days=400)
        ctx = AuditContext(school=people.school_b, actor=people.admin_b, source="test")
        accounts_mark_left(ctx=ctx, account_ids={people.pupil_b.pk}, leave_date=old)
        purge_expired_leavers.delay()
        assert not User.objects.filter(pk=people.pupil_b.pk).exists()


class CredentialSheetTests:
    def test_the_sheet_is_encrypted_in_the_cache_and_only_for_its_admin(self, people):
        from django.core.cache import cache

        token = credential_sheet_store(
            admin=people.admin, title="New logins", rows=[Credential("Zoë O'Brien", "zoeo", "tiger42", "Year 3 Oak")]
        )
        raw = cache.get(f"credentials:{people.admin.pk}:{token}")
        assert b"tiger42" not in raw
        assert credential_sheet_load(admin=people.admin, token=token).rows[0].password == "tiger42"
        assert credential_sheet_load(admin=people.admin_b, token=token) is None

    def test_login_cards_are_a_pdf_that_handles_non_ascii_names(self):
        from accounts.credential_sheets import CredentialSheet

        rows = [Credential(f"Nguyễn Łukasz {i}", f"user{i}", "tiger42", "Reception Robins", "early_years") for i in range(9)]
        pdf = login_cards_pdf(CredentialSheet("t", "Cards", "Riverside", "", rows))
        assert pdf.startswith(b"%PDF")
        assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(b"/Type /Page ") >= 2 or b"/Count 2" in pdf

    def test_the_spreadsheet_neutralises_formula_cells(self, client, people):
        from openpyxl import load_workbook

        token = credential_sheet_store(admin=people.admin, title="Logins", rows=[Credential("=HYPERLINK(1)", "u1", "pw")])
        client.force_login(people.admin)
        response = client.get(reverse("credentials_xlsx", args=[token]))
        assert response.status_code == 200
        ws = load_workbook(io.BytesIO(response.content)).active
        assert ws["A2"].value == "'=HYPERLINK(1)"


class CommandTests:
    def test_create_school_with_a_superadmin(self, db):
        out = io.StringIO()
        call_command("create_school", "--slug", "oak", "--name", "Oak Infants", "--phase", "infant",
                     "--superadmin", "oak-head", "--password", "s3cret-pass", stdout=out)
        school = School.objects.get(slug="oak")
        assert school.phase == "infant"
        head = User.objects.get(username="oak-head")
        assert head.role == "superadmin" and head.school == school and head.check_password("s3cret-pass")

    def test_create_school_exits_2_when_the_slug_is_taken(self, people):
        from django.core.management import CommandError

        with pytest.raises(CommandError) as excinfo:
            call_command("create_school", "--slug", "a", "--name", "Again")
        assert excinfo.value.returncode == 2 and "already exists" in str(excinfo.value)

    def test_create_school_exits_2_on_an_invalid_phase(self):
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "manage.py", "create_school", "--slug", "zz", "--name", "Z", "--phase", "secondary"],
            capture_output=True, text=True,
        )
        assert result.returncode == 2
        assert "invalid choice" in result.stderr

    def test_seed_demo_is_idempotent_and_every_demo_login_works(self, client):
        call_command("seed_demo", "--password", "demo-pass-1", stdout=io.StringIO())
        call_command("seed_demo", "--password", "demo-pass-1", stdout=io.StringIO())
        school = School.objects.get(slug="demo")
        pupils = User.objects.filter(school=school, role="pupil")
        assert 380 <= pupils.count() <= 420
        assert school.groups.count() == 16
        names = "".join(f + l for f, l in pupils.values_list("first_name", "last_name"))
        assert any(ch in names for ch in "ëáŁ")
        for username, landing in [("demo-superadmin", "toolbox"), ("demo-admin", "toolbox"),
                                  ("demo-teacher", "homepage"), ("demo-pupil", "homepage")]:
            client.logout()
            response = client.post(reverse("login"), {"username": username, "password": "demo-pass-1"})
            assert response.status_code == 302, username
            assert client.get(reverse(landing)).status_code == 200, username


class MoveTests:
    def test_moving_ends_the_old_membership_and_starts_a_new_one(self, people):
        from accounts.models import Group
        from accounts.services.memberships import pupils_move

        today = people.school_a.local_today()
        new_class = Group.objects.create(school=people.school_a, name="Reception Robins", year_group="R")
        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        assert pupils_move(ctx=ctx, account_ids={people.pupil.pk}, group=new_class, on=today) == 1
        assert pupils_move(ctx=ctx, account_ids={people.pupil.pk}, group=new_class, on=today) == 0
        history = list(GroupMembership.objects.filter(user=people.pupil).order_by("pk").values_list("group__name", "end_date"))
        assert history == [("Year 3 Oak", today), ("Reception Robins", None)]
        pupil = User.objects.get(pk=people.pupil.pk)
        assert (pupil.year_group, pupil.theme) == ("R", "early_years")
        assert AuditEntry.objects.get(action="moved").detail["from"] == "Year 3 Oak"

    def test_it_refuses_another_schools_class(self, people):
        from accounts.services.memberships import pupils_move

        ctx = AuditContext(school=people.school_a, actor=people.admin, source="test")
        with pytest.raises(RefusedError):
            pupils_move(ctx=ctx, account_ids={people.pupil.pk}, group=people.class_b, on=people.school_a.local_today())
