"""The Accounts tab's rows, built in one pass for speed (issue 9), show what the table's columns say."""

import re
from datetime import date, datetime
from datetime import timezone as dt_timezone

import pytest
from django.urls import reverse

from accounts.models import Status, User

pytestmark = pytest.mark.django_db


def row_for(html: str, account: User) -> str:
    match = re.search(rf'<tr class="(?:even|odd)">\s*<td><input type="checkbox" name="ids" value="{account.pk}".*?</tr>', html, re.S)
    assert match, f"no row for {account.username}"
    return match.group(0)


class AccountRowTests:
    def test_a_pupils_row_has_every_column_in_order(self, client, people):
        people.pupil.admission_number = "A123"
        people.pupil.last_login = datetime(2026, 3, 4, 9, 30, tzinfo=dt_timezone.utc)
        people.pupil.save()
        client.force_login(people.admin)
        html = client.get(reverse("accounts_list") + "?role=pupil").content.decode()
        cells = re.findall(r"<td>(.*?)</td>", row_for(html, people.pupil), re.S)
        assert cells == [
            f'<input type="checkbox" name="ids" value="{people.pupil.pk}" class="row-select" '
            f'aria-label="Select {people.pupil.get_full_name()}">',
            f'<a href="{reverse("account_detail", args=[people.pupil.pk])}">{people.pupil.get_full_name()}</a>',
            "<code>a-pupil</code>",
            "Pupil",
            "Year 3 Oak",
            "Year 3",
            "A123",
            '<strong class="tag tag--green">Active</strong>',
            "04/03/2026",
        ]

    def test_a_leaver_without_class_number_or_login_shows_blanks_never_and_a_grey_tag(self, client, people):
        User.objects.filter(pk=people.teacher.pk).update(status=Status.LEAVER, is_active=False, leave_date=date(2026, 7, 23))
        client.force_login(people.admin)
        html = client.get(reverse("accounts_list") + "?status=leaver").content.decode()
        cells = re.findall(r"<td>(.*?)</td>", row_for(html, people.teacher), re.S)
        assert cells[3:] == ["Staff", "Year 3 Oak", "", "", '<strong class="tag tag--grey">Leaver</strong>', "Never"]

    def test_rows_alternate_even_and_odd(self, client, people):
        client.force_login(people.admin)
        html = client.get(reverse("accounts_list")).content.decode()
        classes = re.findall(r'<tr class="(even|odd)">', html)
        assert len(classes) >= 4 and classes[:4] == ["even", "odd", "even", "odd"]

    def test_no_match_shows_the_tables_empty_text_across_every_column(self, client, people):
        client.force_login(people.admin)
        html = client.get(reverse("accounts_list") + "?q=nobody-is-called-this").content.decode()
        assert '<tr><td colspan="9">No accounts match. Try fewer filters.</td></tr>' in html

    def test_names_are_escaped(self, client, people):
        User.objects.filter(pk=people.pupil.pk).update(first_name="<b>Bo</b>")
        client.force_login(people.admin)
        html = client.get(reverse("accounts_list") + "?role=pupil").content.decode()
        assert "&lt;b&gt;Bo&lt;/b&gt; Tester" in row_for(html, people.pupil) and "<b>Bo</b>" not in html
