import django_filters

from misync.models import SyncChange


class SyncChangeFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SyncChange.Kind.choices, empty_label="All changes", label="Show")

    class Meta:
        model = SyncChange
        fields = ["kind"]
