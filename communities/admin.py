"""The operator's view of communities (Django admin). Daily work happens in the school's own screens."""

from django.contrib import admin

from communities.models import Community, CommunityMembership


class MembershipInline(admin.TabularInline):
    model = CommunityMembership
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["start_date", "end_date"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "group", "status", "pupils_can_post", "created_at"]
    list_filter = ["status", "school"]
    search_fields = ["name"]
    list_select_related = ["school", "group"]
    raw_id_fields = ["group"]
    inlines = [MembershipInline]
