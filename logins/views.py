"""Logging in to the newsroom, with an optional second step; turning that step on and off.

- `LoginView` (/admin/login/, in place of the admin's own): username and password, the
  admin's page and form. Someone who turned on two-factor codes is not logged in yet: the
  password step is remembered in the session for `PENDING_MAX_AGE` and they go on to
- `CodeView` (/admin/login/code/): the six-digit code from their authenticator app. Wrong
  codes count as failed logins for the lockout (django-axes), and each device also slows
  down repeated wrong codes by itself (django-otp's throttling).
- `TwoFactorView` (/admin/two-factor/): a staff member turns codes on for themselves (a QR
  code to scan, then one code to confirm) or off again (with a current code).

Lockouts: the password step goes through `authenticate()`, which django-axes guards; a
locked-out account or address gets `logins.lockout.lockout_response`.
"""

import time
from base64 import b32encode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.generic import FormView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import CodeForm
from .lockout import lockout_response

PENDING = "logins_pending_login"
PENDING_MAX_AGE = 5 * 60  # seconds between the password and the code
# django-otp doubles the wait after each wrong code in a row (1 s, 2 s, 4 s...).
WAIT = "Wrong codes in a row: wait a moment, then enter the code your app shows now."


def confirmed_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


class AdminPageMixin:
    """The admin's page furniture (site header, user links) for these views."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        return context


class LoginView(AdminPageMixin, auth_views.LoginView):
    """Step 1: the admin's login page and form. Template admin/login.html."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"

    def dispatch(self, request, *args, **kwargs):
        request.current_app = admin.site.name
        if request.method == "GET" and admin.site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=admin.site.name))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title="Log in", subtitle=None, app_path=self.request.get_full_path())
        if not context.get("next"):
            context["next"] = reverse("admin:index")
        return context

    def form_valid(self, form):
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return HttpResponseRedirect(reverse("logins:login-code"))


@method_decorator(never_cache, name="dispatch")
class CodeView(AdminPageMixin, FormView):
    """Step 2: the code from the authenticator app. Template logins/login_code.html."""

    form_class = CodeForm
    template_name = "logins/login_code.html"

    def dispatch(self, request, *args, **kwargs):
        request.current_app = admin.site.name
        pending = request.session.get(PENDING)
        self.user = self.device = None
        if pending and time.time() - pending["at"] < PENDING_MAX_AGE:
            self.user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
        if self.user is not None:
            self.device = confirmed_device(self.user)
        if self.device is None:
            request.session.pop(PENDING, None)
            messages.warning(
                request, "Please log in again: the code is asked for within 5 minutes of the password."
            )
            return HttpResponseRedirect(reverse("admin:login"))
        self.pending = pending
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, title="Two-factor code", username=self.user.get_username())

    def form_valid(self, form):
        credentials = {"username": self.user.get_username()}
        if AxesProxyHandler.is_locked(self.request, credentials):
            return lockout_response(self.request, credentials=credentials)
        if not self.device.verify_is_allowed()[0]:
            form.add_error("otp_token", WAIT)
            return self.form_invalid(form)
        with transaction.atomic():
            verified = self.device.verify_token(form.cleaned_data["otp_token"])
        if not verified:
            # A wrong code counts against the account like a wrong password (django-axes).
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            if getattr(self.request, "axes_locked_out", False):
                return lockout_response(self.request, credentials=credentials)
            form.add_error(
                "otp_token", "That code is not right, or it has expired. Enter the code your app shows now."
            )
            return self.form_invalid(form)
        next_url = self.pending["next"]
        del self.request.session[PENDING]
        auth_login(self.request, self.user, backend=self.pending["backend"])
        otp_login(self.request, self.device)
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={self.request.get_host()}):
            next_url = reverse("admin:index")
        return HttpResponseRedirect(next_url)


class TwoFactorView(AdminPageMixin, FormView):
    """A staff member's own two-factor setting. Template logins/two_factor.html.

    Context: `enabled`; while setting up, `qr_svg` (the otpauth:// URL as an inline SVG) and
    `secret` (the same key, to type in by hand).
    """

    form_class = CodeForm
    template_name = "logins/two_factor.html"

    def dispatch(self, request, *args, **kwargs):
        request.current_app = admin.site.name
        return super().dispatch(request, *args, **kwargs)

    def enabled_device(self):
        return confirmed_device(self.request.user)

    def setup_device(self):
        """The device being set up: made on the first visit, kept until confirmed."""
        device = TOTPDevice.objects.filter(user=self.request.user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=self.request.user, name="Authenticator app", confirmed=False
            )
        return device

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, title="Two-factor login")
        enabled = self.enabled_device()
        context["enabled"] = enabled is not None
        if enabled is None:
            device = self.setup_device()
            context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(
                scale=5, dark="#000", light="#fff"
            )
            key = b32encode(device.bin_key).decode()
            context["secret"] = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
        return context

    def form_valid(self, form):
        token = form.cleaned_data["otp_token"]
        enabled = self.enabled_device()
        device = enabled or self.setup_device()
        if not device.verify_is_allowed()[0]:
            form.add_error("otp_token", WAIT)
            return self.form_invalid(form)
        with transaction.atomic():
            verified = device.verify_token(token)
        if not verified:
            form.add_error(
                "otp_token", "That code is not right, or it has expired. Enter the code your app shows now."
            )
            return self.form_invalid(form)
        if enabled:
            TOTPDevice.objects.filter(user=self.request.user).delete()
            messages.success(self.request, "Two-factor login is off. Your password alone logs you in.")
        else:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=self.request.user, confirmed=False).delete()
            otp_login(self.request, device)
            messages.success(
                self.request, "Two-factor login is on: from now on you log in with your password and a code."
            )
        return HttpResponseRedirect(reverse("logins:two-factor"))
