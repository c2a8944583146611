"""Newsroom saves that meet a database going away: the editor's text is never lost.

A save in flight when PostgreSQL restarts (or a connection drops) raises OperationalError or
InterfaceError somewhere in the view; Django would answer with its 500 page and the text the
editor typed would be gone. `DatabaseFailureMiddleware` catches those errors for POSTs to the
admin and, after waiting briefly for the database to come back (a restart takes a second or
two):

- for an add or change form of a ModelAdmin with `DatabaseFailureMixin`, shows that form
  again, filled with what was sent, with an error at the top saying the save may not have
  gone through: the normal admin page, so the editor just clicks Save again. Nothing is
  saved twice behind their back (a change that did commit makes the resend an edit conflict
  with a link, as any other conflict);
- otherwise, or while the database is still away, a plain page (503, no database needed)
  with every field that was sent, the text in editable boxes, and a button to send it again.
"""

import contextlib
import logging
import re
import time

from django.db import InterfaceError, OperationalError, connection
from django.forms import ValidationError
from django.shortcuts import render
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
# How long a save waits for the database to come back before giving the editor the plain page.
WAIT_FOR_DATABASE = 3.0

SAVE_FAILED_MESSAGE = (
    "The database could not be reached while saving, so this save may not have gone through. "
    "Your text is below as you sent it: check it and save again."
)
# Never echoed back into a page.
_SECRET_FIELDS = ("password", "csrfmiddlewaretoken", "token", "otp")
_EDITOR_FIELD = re.compile(r"(?!expected_version$)[a-z][a-z0-9_]*")


class DatabaseFailureMixin:
    """A ModelAdmin whose add and change forms are shown again, filled in, after a database failure."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "database_failure", None) is None:
            return form

        class SaveFailedForm(form):
            def clean(self):
                try:
                    return super().clean()
                finally:
                    # Invalid whatever else it says: the admin shows the form again, filled in.
                    self.add_error(None, ValidationError(SAVE_FAILED_MESSAGE, code="database_unavailable"))

        SaveFailedForm.__name__ = form.__name__
        return SaveFailedForm


def wait_for_database(timeout=WAIT_FOR_DATABASE):
    """True once a query works (reconnecting as needed), False if the database stays away `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except DATABASE_ERRORS:
            # A broken connection is dropped; the next query opens a new one.
            with contextlib.suppress(*DATABASE_ERRORS):
                connection.close()
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


class DatabaseFailureMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS) or request.method != "POST":
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        if "admin" not in match.namespaces or match.url_name in ("login", "password_change"):
            return None
        logger.warning("Database error during %s %s: %s", request.method, request.path, exception)
        if wait_for_database():
            model_admin = getattr(match.func, "model_admin", None)
            is_form = (match.url_name or "").endswith(("_add", "_change"))
            if is_form and isinstance(model_admin, DatabaseFailureMixin):
                request.database_failure = exception
                try:
                    response = match.func(request, *match.args, **match.kwargs)
                    if hasattr(response, "render"):
                        response.render()
                    return response
                except DATABASE_ERRORS as again:
                    logger.warning("The database failed again while showing the form: %s", again)
        return save_failed_page(request)


def save_failed_page(request):
    """Everything that was sent, the text editable, a button to send it again. Reads no database."""
    fields = []
    for name in request.POST:
        if any(secret in name.lower() for secret in _SECRET_FIELDS):
            continue
        for value in request.POST.getlist(name):
            long_text = "\n" in value or len(value) > 60
            # The admin's own fields (buttons, initial values, inline forms' counts) stay hidden.
            shown = long_text or bool(_EDITOR_FIELD.fullmatch(name))
            fields.append({"name": name, "value": value, "long": long_text, "shown": shown})
    context = {
        "message": SAVE_FAILED_MESSAGE,
        "fields": fields,
        "action": request.get_full_path(),
        "lost_files": list(request.FILES),
    }
    response = render(request, "admin/database_unavailable.html", context, status=503)
    response["Retry-After"] = "5"
    return response
