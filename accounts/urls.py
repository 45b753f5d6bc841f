from django.urls import path

from accounts.views import core, groups, wizard

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
urlpatterns += [
    path("toolbox/groups/", groups.groups, name="groups"),
    path("toolbox/groups/new/", groups.group_new, name="group_new"),
    path("toolbox/groups/<int:pk>/rename/", groups.group_rename_view, name="group_rename"),
    path("toolbox/groups/<int:pk>/delete/", groups.group_delete_view, name="group_delete"),
    path("toolbox/groups/<int:pk>/members/", groups.group_members, name="group_members"),
    path("toolbox/groups/<int:pk>/move/", groups.group_move, name="group_move"),
    path("toolbox/groups/<int:pk>/teachers/", groups.group_teachers, name="group_teachers"),
    path("toolbox/groups/<int:pk>/teachers/add/", groups.group_teacher_add, name="group_teacher_add"),
    path(
        "toolbox/groups/<int:pk>/teachers/<int:user_pk>/remove/",
        groups.group_teacher_remove,
        name="group_teacher_remove",
    ),
    path("toolbox/rollover/", wizard.wizard, name="wizard"),
    path("toolbox/rollover/leavers/", wizard.wizard_leavers, name="wizard_leavers"),
    path("toolbox/rollover/leavers/check/", wizard.wizard_leavers_check, name="wizard_leavers_check"),
    path("toolbox/rollover/leavers/apply/", wizard.wizard_leavers_apply, name="wizard_leavers_apply"),
    path("toolbox/rollover/classes/", wizard.wizard_classes, name="wizard_classes"),
    path("toolbox/rollover/classes/check/", wizard.wizard_classes_check, name="wizard_classes_check"),
    path("toolbox/rollover/classes/apply/", wizard.wizard_classes_apply, name="wizard_classes_apply"),
    path("toolbox/rollover/year-groups/", wizard.wizard_year_groups, name="wizard_year_groups"),
    path("toolbox/rollover/year-groups/apply/", wizard.wizard_year_groups_apply, name="wizard_year_groups_apply"),
]
