from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("operator/", admin.site.urls),
    path("", include("accounts.urls")),
    path("communities/", include("communities.urls")),
    path("mis/", include("misync.urls")),
    path("toolbox/import/", include("accounts.importer.urls")),
]
