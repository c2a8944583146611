"""Setting and resetting newsroom passwords, under the newsroom's own name.

Django's views do the work; what changes is that their pages carry the admin's header
("Auto Trendy newsroom", not "Django administration") and that every link, in a printed
set-password link or a reset email, is built from settings.SITE_ORIGIN, never from the
Host header a request arrives with (a forged Host would otherwise send the reset link,
token included, to someone else's server).
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def set_password_url(user):
    """The one-time link on which `user` chooses a password (valid PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_ORIGIN + path


class NewsroomPageMixin:
    """The admin's header, title and links on the password pages, which are not admin views."""

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


class PasswordResetView(NewsroomPageMixin, auth_views.PasswordResetView):
    """ "Forgotten your password?" on the admin login: a link by email, from SITE_ORIGIN."""

    subject_template_name = "registration/newsroom_password_subject.txt"
    email_template_name = "registration/newsroom_password_email.txt"

    def form_valid(self, form):
        # The email's link and name come from the settings, whatever the Host header said.
        self.extra_email_context = {"site_name": settings.SITE_NAME, "site_origin": settings.SITE_ORIGIN}
        return super().form_valid(form)


class PasswordResetDoneView(NewsroomPageMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(NewsroomPageMixin, auth_views.PasswordResetConfirmView):
    pass


class PasswordResetCompleteView(NewsroomPageMixin, auth_views.PasswordResetCompleteView):
    pass
