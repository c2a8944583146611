"""/csp-report/: what browsers report when the Content-Security-Policy blocks something.

The policy's `report-uri` points here, so a template or script that breaks the policy in
production shows up in the log (logger `autotrendy.csp`, one WARNING line per violation)
instead of as a silently broken page. Accepts the classic `application/csp-report` body and
the Reporting API's `application/reports+json` list. Anyone can post here, so the body is
bounded, only a few fields are logged, each cut short, and the answer is always empty.
"""

import json
import logging

from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger("autotrendy.csp")

MAX_BODY = 16 * 1024
MAX_FIELD = 200
MAX_REPORTS = 10


def _field(report, *names):
    for name in names:
        value = report.get(name)
        if value not in (None, ""):
            return str(value)[:MAX_FIELD]
    return "-"


def _violations(payload):
    """The reports in a body of either format, as dicts with the classic or the new keys."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list):
        return [
            item["body"]
            for item in payload[:MAX_REPORTS]
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    return []


@csrf_exempt
def csp_report(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return HttpResponse(status=413)
    try:
        payload = json.loads(request.read(MAX_BODY + 1)[:MAX_BODY] or b"null")
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=400)
    for report in _violations(payload):
        logger.warning(
            "CSP violation: %s blocked %s on %s (%s:%s)",
            _field(report, "effective-directive", "effectiveDirective", "violated-directive"),
            _field(report, "blocked-uri", "blockedURL"),
            _field(report, "document-uri", "documentURL"),
            _field(report, "source-file", "sourceFile"),
            _field(report, "line-number", "lineNumber"),
        )
    return HttpResponse(status=204)
