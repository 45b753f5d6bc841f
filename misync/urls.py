from django.urls import path

from misync import views

urlpatterns = [
    path("", views.runs, name="mis_runs"),
    path("runs/<int:pk>/", views.run_detail, name="mis_run"),
    path("runs/<int:pk>/approve/", views.run_approve, name="mis_run_approve"),
    path("runs/<int:pk>/reject/", views.run_reject, name="mis_run_reject"),
    path("sync-now/", views.sync_now, name="mis_sync_now"),
    path("preview/", views.preview, name="mis_preview"),
    path("settings/", views.settings_page, name="mis_settings"),
    path("logins/", views.logins, name="mis_logins"),
    path("logins/<int:pk>/", views.login_issue, name="mis_login_issue"),
    path("status/", views.status, name="mis_status"),
    path("status/chart.svg", views.status_chart, name="mis_status_chart"),
    path("status/test-connection/", views.test_connection, name="mis_test_connection"),
]
