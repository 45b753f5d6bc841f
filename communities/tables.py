"""The superadmin's Communities tab."""

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from communities.models import Community


class CommunityFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Community.Status.choices, empty_label="All", label="Status")

    class Meta:
        model = Community
        fields = ["status"]


class CommunityTable(tables.Table):
    select = tables.Column(accessor="pk", verbose_name="Select", orderable=False)
    name = tables.Column(linkify=True, verbose_name="Community")
    group = tables.Column(verbose_name="Class", default="—", order_by=("group__name",))
    status = tables.Column(verbose_name="Status")
    member_count = tables.Column(verbose_name="Members")
    post_count = tables.Column(verbose_name="Blog posts")
    topic_count = tables.Column(verbose_name="Forum topics")
    created_at = tables.DateColumn(verbose_name="Created")
    actions = tables.Column(accessor="pk", verbose_name="Actions", orderable=False)

    class Meta:
        model = Community
        fields = [
            "select",
            "name",
            "group",
            "status",
            "member_count",
            "post_count",
            "topic_count",
            "created_at",
            "actions",
        ]
        attrs = {"class": "table"}
        empty_text = "No communities match."

    def render_status(self, record):
        if record.is_archived:
            return format_html('<strong class="tag tag--grey">{}</strong>', "Archived")
        return format_html('<strong class="tag tag--green">{}</strong>', "Active")

    def render_actions(self, record):
        if record.is_active:
            return format_html(
                '<a href="{}">View<span class="visually-hidden"> {}</span></a>', record.get_absolute_url(), record.name
            )
        return format_html(
            '<a href="{}">View<span class="visually-hidden"> {}</span></a> · '
            '<a href="{}">Restore<span class="visually-hidden"> {}</span></a> · '
            '<a href="{}">Delete<span class="visually-hidden"> {}</span></a>',
            record.get_absolute_url(),
            record.name,
            reverse("communities:restore", args=[record.pk]),
            record.name,
            reverse("communities:delete", args=[record.pk]),
            record.name,
        )

    def render_select(self, value, record):
        return format_html(
            '<input type="checkbox" name="ids" value="{}" form="archive-form" aria-label="Select {}">',
            value,
            record.name,
        )
