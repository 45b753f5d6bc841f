"""django-filter FilterSets for the Accounts tab and the audit log.

Each takes the admin's `school` so every choice list (classes, actions) is that school's own.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from accounts.models import GroupMembership, Role, Status, YearGroup
from accounts.selectors import audit_actions_for_school, groups_for_school

ROLE_CHOICES = [(Role.PUPIL, "Pupil"), (Role.STAFF, "Staff"), (Role.ADMIN, "Admin"), (Role.SUPERADMIN, "Superadmin")]


class ListChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """A choice field's options from one ordinary SELECT. Django iterates the queryset with
    `.iterator()`, which on PostgreSQL opens a server-side cursor (DECLARE … WITH HOLD) on every
    page view; for a school's few dozen classes that cost more than the rows (bench/admin_bench.py)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="filter_search",
        help_text="Name, username, admission number or UPN",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    role = django_filters.ChoiceFilter(choices=ROLE_CHOICES, empty_label="Any role")
    group = django_filters.ModelChoiceFilter(
        label="Class", queryset=None, method="filter_group", empty_label="Any class"
    )
    year_group = django_filters.ChoiceFilter(label="Year group", choices=YearGroup.choices, empty_label="Any year group")
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any status")

    def __init__(self, data=None, queryset=None, *, school, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        self.filters["group"].queryset = groups_for_school(school=school)
        self.form.fields["group"].iterator = ListChoiceIterator  # before the queryset: it builds the choices
        self.form.fields["group"].queryset = groups_for_school(school=school)

    def filter_search(self, queryset, name, value):
        words = value.split()
        for word in words[:5]:
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
                | Q(admission_number__iexact=word)
                | Q(upn__iexact=word.upper())
            )
        return queryset

    def filter_group(self, queryset, name, value):
        current = GroupMembership.objects.filter(user=OuterRef("pk"), group=value, end_date__isnull=True)
        return queryset.filter(Exists(current))


class AuditFilter(django_filters.FilterSet):
    account = django_filters.CharFilter(
        label="Account", method="filter_account", help_text="Name or username of the account changed"
    )
    account_id = django_filters.NumberFilter(method="filter_account_id", widget=forms.HiddenInput)
    actor = django_filters.CharFilter(
        label="Changed by", field_name="actor_label", lookup_expr="icontains", help_text="Name or username"
    )
    action = django_filters.ChoiceFilter(choices=[], empty_label="Any action")
    date_from = django_filters.DateFilter(
        label="From", field_name="created_at", lookup_expr="date__gte", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = django_filters.DateFilter(
        label="To", field_name="created_at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    batch = django_filters.UUIDFilter(field_name="batch__uid", widget=forms.HiddenInput)

    def __init__(self, data=None, queryset=None, *, school, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        choices = [(a, a.replace("_", " ").capitalize()) for a in audit_actions_for_school(school=school)]
        self.filters["action"].extra["choices"] = choices
        self.form.fields["action"].choices = choices

    def filter_account(self, queryset, name, value):
        return queryset.filter(target_type="account", target_label__icontains=value.strip())

    def filter_account_id(self, queryset, name, value):
        return queryset.filter(target_type="account", target_id=value)
