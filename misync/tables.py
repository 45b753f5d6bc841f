import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from misync.models import SyncChange, SyncRun
from misync.templatetags.misync_tags import uk_date

STATUS_TAGS = {
    "queued": "tag--grey",
    "running": "tag",
    "succeeded": "tag--green",
    "held": "tag--yellow",
    "failed": "tag--red",
    "rejected": "tag--orange",
}


def status_tag(status: str, label: str):
    return format_html('<strong class="tag {}">{}</strong>', STATUS_TAGS.get(status, ""), label)


class SyncRunTable(tables.Table):
    id = tables.Column(verbose_name="Run", orderable=False)
    created_at = tables.DateTimeColumn(verbose_name="Started", format="d/m/Y H:i", orderable=False)
    trigger = tables.Column(verbose_name="How", orderable=False)
    status = tables.Column(orderable=False)
    changes = tables.Column(verbose_name="Changes", empty_values=(), orderable=False)
    source_as_of = tables.DateTimeColumn(verbose_name="MIS data as of", format="d/m/Y H:i", orderable=False)

    class Meta:
        model = SyncRun
        fields = ("id", "created_at", "trigger", "status", "changes", "source_as_of")
        attrs = {"class": "table"}
        empty_text = "No sync runs yet."

    def render_id(self, record):
        return format_html('<a href="{}">#{}</a>', reverse("mis_run", args=[record.pk]), record.pk)

    def render_status(self, record):
        return status_tag(record.status, record.get_status_display())

    def render_changes(self, record):
        parts = [f"{v} {k.replace('_', ' ')}" for k, v in record.counts.items() if v]
        if record.status in ("held", "rejected"):
            return "Would have made: " + (", ".join(parts) or "no changes")
        return ", ".join(parts) or "None"


class SyncChangeTable(tables.Table):
    kind = tables.Column(verbose_name="Change", orderable=False)
    label = tables.Column(verbose_name="Who or what", orderable=False)
    detail = tables.Column(verbose_name="Detail", orderable=False)

    class Meta:
        model = SyncChange
        fields = ("kind", "label", "detail")
        attrs = {"class": "table"}
        empty_text = "No changes."

    def render_detail(self, value):
        if not value:
            return ""
        parts = []
        for key, item in value.items():
            name = DETAIL_LABELS.get(key, key.replace("_", " "))
            if isinstance(item, list) and len(item) == 2:
                parts.append(f"{name}: {_show(item[0]) or '–'} → {_show(item[1]) or '–'}")
            elif item not in (None, ""):
                parts.append(f"{name}: {_show(item)}")
        return "; ".join(parts)


DETAIL_LABELS = {"reason": "why", "mis_id": "MIS id", "upn": "UPN", "from": "from", "to": "to", "on": "on"}
REASONS = {
    "vanished": "missing from the export",
    "leave_date": "leave date in the MIS",
    "deleted": "deleted in the MIS",
}


def _show(value):
    """Plan values for people: ISO dates as DD/MM/YYYY, reasons in words."""
    if isinstance(value, str):
        if value in REASONS:
            return REASONS[value]
        return uk_date(value)
    return value
