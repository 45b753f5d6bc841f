from django.urls import path

from accounts.views import core

urlpatterns = [
    path("", core.home, name="home"),
    path("home/", core.homepage, name="homepage"),
    path("toolbox/", core.toolbox, name="toolbox"),
    path("toolbox/credentials/<str:token>/", core.credentials, name="credentials"),
    path("toolbox/credentials/<str:token>/logins.xlsx", core.credentials_xlsx, name="credentials_xlsx"),
    path("toolbox/credentials/<str:token>/login-cards.pdf", core.credentials_pdf, name="credentials_pdf"),
]

# Accounts tab, pupil pages, new account, leavers folder, audit log, school settings.
from accounts.views import accounts as accounts_views  # noqa: E402
from accounts.views import audit, leavers  # noqa: E402
from accounts.views import settings as settings_views  # noqa: E402

urlpatterns += [
    path("toolbox/accounts/", accounts_views.accounts_list, name="accounts_list"),
    path("toolbox/accounts/new/", accounts_views.account_new, name="account_new"),
    path("toolbox/accounts/leave/", accounts_views.accounts_leave, name="accounts_leave"),
    path("toolbox/accounts/delete/", accounts_views.accounts_delete, name="accounts_delete"),
    path("toolbox/accounts/move/", accounts_views.accounts_move, name="accounts_move"),
    path("toolbox/accounts/reset-passwords/", accounts_views.accounts_reset_passwords, name="accounts_reset_passwords"),
    path("toolbox/accounts/<int:pk>/", accounts_views.account_detail, name="account_detail"),
    path("toolbox/accounts/<int:pk>/edit/", accounts_views.account_edit, name="account_edit"),
    path("toolbox/leavers/", leavers.leavers_list, name="leavers_list"),
    path("toolbox/leavers/<int:pk>/reinstate/", leavers.leaver_reinstate, name="leaver_reinstate"),
    path("toolbox/leavers/<int:pk>/delete/", leavers.leaver_delete, name="leaver_delete"),
    path("toolbox/audit/", audit.audit_log, name="audit_log"),
    path("toolbox/settings/", settings_views.school_settings, name="school_settings"),
]

# Groups and the rollover wizard.
urlpatterns += []
