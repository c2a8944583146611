from django.contrib import admin
from django.urls import path

from . import views

app_name = "logins"

urlpatterns = [
    path("login/code/", views.CodeView.as_view(), name="login-code"),
    path("two-factor/", admin.site.admin_view(views.TwoFactorView.as_view()), name="two-factor"),
]
