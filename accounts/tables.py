"""django-tables2 tables for the Accounts tab, the Leavers folder and the audit log.

Each is fed by a selector queryset that already carries what its columns need, so rendering
a page never queries per row.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from accounts.models import Status, User

TEMPLATE = "accounts/_table.html"


class AccountTable(tables.Table):
    ids = tables.CheckBoxColumn(
        accessor="pk",
        verbose_name="Select",
        attrs={
            "th__input": {"data-select-all": "ids", "aria-label": "Select all accounts on this page"},
            "td__input": {"class": "row-select"},
        },
    )
    name = tables.Column(accessor="last_name", verbose_name="Name", order_by=("last_name", "first_name"))
    username = tables.Column()
    role = tables.Column()
    class_name = tables.Column(verbose_name="Class", default="")
    year_group = tables.Column(verbose_name="Year group", default="")
    admission_number = tables.Column(verbose_name="Admission number", default="")
    status = tables.Column()
    last_login = tables.DateColumn(verbose_name="Last login", default="Never")

    class Meta:
        model = User
        fields = ()
        sequence = (
            "ids", "name", "username", "role", "class_name", "year_group", "admission_number", "status", "last_login",
        )
        # The rows come from rows_html(): the render_* methods below are what the cells show, for any
        # other use of the table.
        template_name = "accounts/_account_table.html"
        attrs = {"class": "table table--accounts"}
        order_by = ("name",)
        empty_text = "No accounts match. Try fewer filters."

    def rows_html(self) -> SafeString:
        """This page's rows, built in one pass in Python, as Django's admin changelist builds its own.

        Rendering each cell through django-tables2 (which inspects every render method's signature
        and compiles the date column's template per cell), or even through template variables, made
        the Accounts tab slower than the admin changelist under load (bench/admin_bench.py). The
        cells are the same as the render_* methods below; the header, sorting and pagination are
        still django-tables2's.
        """
        rows = [
            (
                "even" if index % 2 == 0 else "odd",
                account.pk,
                account.get_full_name() or account.username,
                reverse("account_detail", args=[account.pk]),
                account.get_full_name() or account.username,
                account.username,
                account.get_role_display(),
                account.class_name or "",
                account.get_year_group_display() or "",
                account.admission_number or "",
                "green" if account.status == Status.ACTIVE else "grey",
                account.get_status_display(),
                date_format(localtime(account.last_login), "SHORT_DATE_FORMAT") if account.last_login else "Never",
            )
            for index, account in enumerate(row.record for row in self.paginated_rows)
        ]
        if not rows:
            return format_html('<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text)
        return format_html_join(
            "\n",
            '<tr class="{}"><td><input type="checkbox" name="ids" value="{}" class="row-select" aria-label="Select {}">'
            '</td><td><a href="{}">{}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            '<td><strong class="tag tag--{}">{}</strong></td><td>{}</td></tr>',
            rows,
        )

    def render_ids(self, value, record):
        label = f"Select {record.get_full_name() or record.username}"
        return format_html(
            '<input type="checkbox" name="ids" value="{}" class="row-select" aria-label="{}">', value, label
        )

    def render_name(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("account_detail", args=[record.pk]), record.get_full_name() or record.username
        )

    def render_username(self, value):
        return format_html("<code>{}</code>", value)

    def render_year_group(self, record):
        return record.get_year_group_display()

    def render_status(self, record):
        colour = "green" if record.status == Status.ACTIVE else "grey"
        return format_html('<strong class="tag tag--{}">{}</strong>', colour, record.get_status_display())


class LeaverTable(tables.Table):
    name = tables.Column(accessor="last_name", verbose_name="Name", order_by=("last_name", "first_name"))
    username = tables.Column()
    role = tables.Column()
    year_group = tables.Column(verbose_name="Year group", default="")
    leave_date = tables.DateColumn(verbose_name="Leave date", default="")
    left_via = tables.Column(verbose_name="How they left", default="")
    actions = tables.Column(accessor="pk", verbose_name="Actions", orderable=False)

    class Meta:
        model = User
        fields = ()
        sequence = ("name", "username", "role", "year_group", "leave_date", "left_via", "actions")
        template_name = TEMPLATE
        attrs = {"class": "table"}
        empty_text = "There are no leavers."

    def render_name(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("account_detail", args=[record.pk]), record.get_full_name() or record.username
        )

    def render_username(self, value):
        return format_html("<code>{}</code>", value)

    def render_year_group(self, record):
        return record.get_year_group_display()

    def render_left_via(self, record):
        return record.get_left_via_display()

    def render_actions(self, record):
        name = record.get_full_name() or record.username
        return format_html(
            '<a href="{}">Reinstate<span class="visually-hidden"> {}</span></a> · '
            '<a href="{}">Delete now<span class="visually-hidden"> {}</span></a>',
            reverse("leaver_reinstate", args=[record.pk]), name,
            reverse("leaver_delete", args=[record.pk]), name,
        )


class AuditTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="When", orderable=False, format="d/m/Y H:i")
    actor_label = tables.Column(verbose_name="Who", orderable=False)
    action = tables.Column(verbose_name="What", orderable=False)
    target_label = tables.Column(verbose_name="Account, class or community", orderable=False)
    detail = tables.Column(verbose_name="Details", orderable=False, default="")
    source = tables.Column(verbose_name="From", orderable=False)
    batch = tables.Column(verbose_name="Batch", orderable=False, default="")

    class Meta:
        template_name = TEMPLATE
        attrs = {"class": "table table--audit"}
        empty_text = "No changes match."

    def render_action(self, value):
        return value.replace("_", " ").capitalize()

    def render_target_label(self, record):
        kind = record.get_target_type_display()
        if record.target_type == "account" and record.target_id:
            url = reverse("audit_log") + f"?account_id={record.target_id}"
            return format_html('{}: <a href="{}">{}</a>', kind, url, record.target_label)
        return f"{kind}: {record.target_label}"

    def render_detail(self, value):
        if not value:
            return ""
        parts = []
        for key, item in value.items():
            if isinstance(item, list) and len(item) == 2:
                parts.append(f"{key.replace('_', ' ')}: {item[0] or '–'} → {item[1] or '–'}")
            elif item not in (None, ""):
                parts.append(f"{key.replace('_', ' ')}: {item}")
        return "; ".join(parts)

    def render_batch(self, record):
        if record.batch is None:
            return ""
        url = reverse("audit_log") + f"?batch={record.batch.uid}"
        return format_html('<a href="{}">{}</a> <span class="tag tag--grey">{}</span>', url, record.batch.label, record.batch.get_kind_display())
