from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class LoginsConfig(AppConfig):
    """The newsroom's logins: lockout after failed attempts (django-axes) and optional
    two-factor codes (django-otp); see README, "Logins"."""

    name = "logins"
    verbose_name = "Logins"


class LockoutsConfig(AxesConfig):
    """django-axes, under a name an editor understands in the admin's sidebar."""

    verbose_name = "Login lockouts"


class TwoFactorDevicesConfig(TOTPConfig):
    """django-otp's TOTP devices, under a name an editor understands in the admin's sidebar."""

    verbose_name = "Two-factor devices"
