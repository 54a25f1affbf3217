from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("about", views.about),
    path("short", views.short),
    path("login", views.login),
    path("accounts/login/", views.account_login),
    path("logout", views.logout),
    path("session.json", views.session_json),
]
