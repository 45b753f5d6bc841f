"""The Accounts tab: search, filters, sorting, page sizes, and a fixed query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Group, GroupMembership, Role, User, upn_check_letter

pytestmark = pytest.mark.django_db

URL = reverse("accounts_list")


def names(response):
    return [row.record.username for row in response.context["table"].paginated_rows]


def make_pupils(school, group, count, prefix="p", year_group="Y3"):
    pupils = User.objects.bulk_create(
        [
            User(school=school, username=f"{prefix}{i:04d}", first_name=f"Pupil{i:04d}", last_name="Bulk",
                 role=Role.PUPIL, year_group=year_group, password="!")
            for i in range(count)
        ]
    )
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, user=p, role="pupil", start_date=school.local_today()) for p in pupils]
    )
    return pupils


class AccountsTabTests:
    def test_an_admin_sees_their_schools_accounts_and_no_others(self, client, people):
        client.force_login(people.admin)
        response = client.get(URL)
        assert response.status_code == 200
        usernames = names(response)
        assert {"a-superadmin", "a-admin", "a-teacher", "a-pupil"} <= set(usernames)
        assert "b-admin" not in usernames and "b-pupil" not in usernames and "operator" not in usernames

    def test_the_class_column_shows_each_accounts_current_class(self, client, people):
        client.force_login(people.admin)
        response = client.get(URL, {"q": "a-pupil"})
        assert b"Year 3 Oak" in response.content
        assert [r.record.class_name for r in response.context["table"].paginated_rows] == ["Year 3 Oak"]

    @pytest.mark.parametrize(
        "query, expected",
        [
            ({"q": "pupil"}, ["a-pupil"]),
            ({"q": "A0042"}, ["a-pupil"]),
            ({"q": "superadmin"}, ["a-superadmin"]),
            ({"role": "staff"}, ["a-teacher"]),
            ({"year_group": "Y3"}, ["a-pupil"]),
            ({"status": "leaver"}, []),
        ],
    )
    def test_search_and_filters_narrow_the_list(self, client, people, query, expected):
        people.pupil.admission_number = "A0042"
        people.pupil.save()
        client.force_login(people.admin)
        assert names(client.get(URL, query)) == expected

    def test_search_finds_a_pupil_by_upn(self, client, people):
        body = "826200126001"
        people.pupil.upn = upn_check_letter(body) + body
        people.pupil.save()
        client.force_login(people.admin)
        assert names(client.get(URL, {"q": people.pupil.upn.lower()})) == ["a-pupil"]

    def test_the_class_filter_lists_current_members_only(self, client, people):
        other = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        client.force_login(people.admin)
        assert names(client.get(URL, {"group": people.class_a.pk})) == ["a-pupil", "a-teacher"]
        assert names(client.get(URL, {"group": other.pk})) == []

    def test_another_schools_class_cannot_be_used_as_a_filter(self, client, people):
        client.force_login(people.admin_b)
        response = client.get(URL, {"group": people.class_a.pk})
        assert response.status_code == 200
        assert "a-pupil" not in names(response)
        assert response.context["filter"].form.errors["group"]

    def test_columns_sort_by_class_and_by_username(self, client, people):
        elm = Group.objects.create(school=people.school_a, name="Year 4 Elm", year_group="Y4")
        make_pupils(people.school_a, elm, 1, prefix="elm")
        client.force_login(people.admin)
        ascending = names(client.get(URL, {"sort": "class_name", "role": "pupil"}))
        descending = names(client.get(URL, {"sort": "-class_name", "role": "pupil"}))
        assert ascending == ["a-pupil", "elm0000"] and descending == ["elm0000", "a-pupil"]
        usernames = names(client.get(URL, {"sort": "username"}))
        assert usernames == sorted(usernames)

    @pytest.mark.parametrize("asked, shown", [("25", 25), ("50", 50), ("100", 100), ("1000", 25), ("x", 25)])
    def test_the_page_size_is_one_of_the_choices(self, client, people, asked, shown):
        make_pupils(people.school_a, people.class_a, 120)
        client.force_login(people.admin)
        response = client.get(URL, {"per_page": asked})
        assert len(response.context["table"].page.object_list) == shown

    def test_a_page_past_the_end_shows_the_first_page(self, client, people):
        client.force_login(people.admin)
        response = client.get(URL, {"page": "99"})
        assert response.status_code == 200
        assert response.context["table"].page.number == 1

    def test_select_all_matching_carries_the_filter_not_the_ids(self, client, people):
        make_pupils(people.school_a, people.class_a, 30)
        client.force_login(people.admin)
        response = client.get(URL, {"role": "pupil", "page": "2", "sort": "username"})
        assert b'name="all_matching"' in response.content
        assert b'name="filter" value="role=pupil"' in response.content
        assert b"Select all 31 matching accounts" in response.content

    @pytest.mark.parametrize("persona", ["pupil", "teacher", "admin_b"])
    def test_it_is_for_admins_of_the_school_only(self, client, people, persona):
        client.force_login(getattr(people, persona))
        response = client.get(URL)
        if persona == "admin_b":
            assert set(names(response)) == {"b-admin", "b-pupil"}
        else:
            assert response.status_code == 404

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, people):
        response = client.get(URL)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_the_page_links_the_bulk_actions_to_their_confirmation_pages(self, client, people):
        client.force_login(people.admin)
        content = client.get(URL).content.decode()
        for name in ("accounts_leave", "accounts_delete", "accounts_move", "accounts_reset_passwords"):
            assert f'formaction="{reverse(name)}"' in content
        assert 'data-select-all="ids"' in content


class AccountsTabQueryCountTests:
    def test_a_school_with_2000_pupils_costs_the_same_queries_at_page_sizes_25_and_100(
        self, client, people, django_assert_num_queries
    ):
        classes = [
            Group.objects.create(school=people.school_a, name=f"Year {n} Class", year_group=f"Y{n}") for n in range(1, 7)
        ]
        for index, group in enumerate(classes):
            make_pupils(people.school_a, group, 334 if index < 5 else 330, prefix=f"c{index}-")
        assert User.objects.filter(school=people.school_a, role=Role.PUPIL).count() == 2001
        client.force_login(people.admin)
        counts = {}
        for size in (25, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(URL, {"per_page": size, "sort": "class_name"})
            assert response.status_code == 200
            assert len(response.context["table"].page.object_list) == size
            counts[size] = len(queries)
        assert counts[25] == counts[100]
        # Session, user, count, page, class choices: pinned so a per-row query cannot creep in.
        with django_assert_num_queries(counts[25]):
            client.get(URL, {"per_page": 100, "q": "Bulk", "year_group": "Y3"})
        assert counts[25] == 5
