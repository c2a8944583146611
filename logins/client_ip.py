"""The address a request came from, as far as it can be trusted.

Behind a reverse proxy every request comes from the proxy; the client's address is in
X-Forwarded-For, which anyone can also send themselves. So the header is read only when
DJANGO_TRUSTED_PROXIES says how many proxies in front of Django set it (deploy/nginx.conf is
one: it *replaces* the header with the address it saw), and then only the entry the nearest
of those proxies wrote, counted from the right: what a client put to the left is ignored.
"""

import ipaddress

from django.conf import settings


def _address(value):
    """`value` as a normalised IP address, or None if it is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client's IP address for lockouts and logs (AXES_CLIENT_IP_CALLABLE), or None.

    None (a unix socket with no header, or a header that is not an address) puts all such
    requests in one shared bucket, which is the safe way to be wrong.
    """
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return _address(forwarded[-proxies])
    return _address(request.META.get("REMOTE_ADDR") or "")
