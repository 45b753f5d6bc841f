from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/", views.homepage, name="homepage"),
    path("toolbox/", views.toolbox, name="toolbox"),
    path("toolbox/credentials/<str:token>/", views.credentials, name="credentials"),
    path("toolbox/credentials/<str:token>/logins.xlsx", views.credentials_xlsx, name="credentials_xlsx"),
    path("toolbox/credentials/<str:token>/login-cards.pdf", views.credentials_pdf, name="credentials_pdf"),
]
