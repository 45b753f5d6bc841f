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
urlpatterns += []

# Groups and the rollover wizard.
urlpatterns += []
