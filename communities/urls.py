from django.urls import path

from communities import views

app_name = "communities"

urlpatterns = [
    # Superadmin: the Communities tab.
    path("", views.index, name="index"),
    path("archive/", views.archive, name="archive"),
    path("create-for-classes/", views.create_for_classes, name="create_for_classes"),
    path("handover/", views.handover, name="handover"),
    path("handover/preview/", views.handover_preview, name="handover_preview"),
    path("handover/apply/", views.handover_apply, name="handover_apply"),
    path("<int:pk>/restore/", views.restore, name="restore"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    # Community pages.
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/posts/new/", views.post_create, name="post_create"),
    path("<int:pk>/topics/new/", views.topic_create, name="topic_create"),
    path("<int:pk>/topics/<int:topic_pk>/", views.topic, name="topic"),
    path("<int:pk>/topics/<int:topic_pk>/reply/", views.reply_create, name="reply_create"),
    # The cog: settings for leaders and the superadmin.
    path("<int:pk>/settings/", views.settings, name="settings"),
    path("<int:pk>/settings/rename/", views.rename, name="rename"),
    path("<int:pk>/settings/posting/", views.posting, name="posting"),
    path("<int:pk>/settings/members/", views.members, name="members"),
    path("<int:pk>/settings/members/add-pupils/", views.members_add_pupils, name="members_add_pupils"),
    path("<int:pk>/settings/members/add-staff/", views.members_add_staff, name="members_add_staff"),
    path("<int:pk>/settings/members/add-class/", views.members_add_class, name="members_add_class"),
    path("<int:pk>/settings/members/<int:user_pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/settings/members/<int:user_pk>/make-leader/", views.member_make_leader, name="member_make_leader"),
    path(
        "<int:pk>/settings/members/<int:user_pk>/unmake-leader/",
        views.member_unmake_leader,
        name="member_unmake_leader",
    ),
    path("<int:pk>/settings/entries/", views.entries, name="entries"),
    path("<int:pk>/settings/entries/delete/", views.entries_delete, name="entries_delete"),
]
