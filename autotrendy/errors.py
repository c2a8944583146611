"""The server-error page, with the nonce its inline styles need under the CSP."""

from django.http import HttpResponseServerError
from django.middleware.csp import get_nonce
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """Django's own `server_error`, plus `csp_nonce` for 500.html's <style>.

    Still rendered with a plain Context: whatever broke (the database, a context processor)
    must not break this page too. A 500 is never stored by the page cache, so the nonce
    is this response's alone.
    """
    template = loader.get_template(template_name)
    return HttpResponseServerError(template.render({"csp_nonce": get_nonce(request)}))
