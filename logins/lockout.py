"""What a locked-out login sees (AXES_LOCKOUT_CALLABLE): how long, and who can help."""

import math

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.db.models import Max, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


def minutes_left(request, username):
    """Whole minutes until the newest failure that counts against this account or address expires."""
    attempts = AccessAttempt.objects.filter(Q(ip_address=request.axes_ip_address) | Q(username=username))
    last_failure = attempts.aggregate(last=Max("attempt_time"))["last"] or timezone.now()
    left = last_failure + get_cool_off(request) - timezone.now()
    return max(1, math.ceil(left.total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """The login page's refusal: 429, with the wait and the way out."""
    username = get_client_username(request, credentials) or ""
    minutes = minutes_left(request, username)
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed attempts",
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = render(request, "logins/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    add_never_cache_headers(response)
    return response
