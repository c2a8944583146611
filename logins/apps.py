from django.apps import AppConfig


class LoginsConfig(AppConfig):
    """The newsroom's logins: lockout after failed attempts (django-axes) and optional
    two-factor codes (django-otp); see README, "Logins"."""

    name = "logins"
    verbose_name = "Logins"
