"""The address a request came from, as far as it can be trusted.

Behind a reverse proxy every request comes from the proxy; the client's address is in
X-Forwarded-For, which anyone can also send themselves. So the header is read only when
DJANGO_TRUSTED_PROXIES says how many proxies in front of Django set it (deploy/nginx.conf is
one: it *replaces* the header with the address it saw), and then only the entry the nearest
of those proxies wrote, counted from the right: what a client put to the left is ignored.
"""

from django.conf import settings


def client_ip(request):
    """The client's IP address for lockouts and logs (AXES_CLIENT_IP_CALLABLE)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    # Direct connection (or a proxy that sent no header): the socket's peer. A unix socket
    # has none; all such requests then share one address, which is the safe way to be wrong.
    return request.META.get("REMOTE_ADDR") or "unknown"
