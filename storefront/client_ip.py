"""The caller's IP address, the one way every part of the app reads it.

Used by the widget API throttles, the attribution captures and order links (whose IPs feed the fraud
signals) and the webhook inboxes' recorded remote IP. `X-Forwarded-For` is believed only as far as the
operator says proxies sit in front of the app (`NUM_PROXIES`, DRF's setting; 0 by default): with N
trusted proxies the client is the N-th address from the right, the one the outermost trusted proxy
appended; whatever the caller wrote to the left of it is ignored. With 0 the header is ignored and
`REMOTE_ADDR` (the TCP peer) is the client.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from rest_framework.settings import api_settings


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP (normalised), or None when the trusted hop is not an IP address."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    proxies = int(api_settings.NUM_PROXIES or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return _address(remote_addr)
    hops = forwarded.split(",")
    # Fewer hops than proxies: the header came from our own proxies only, so its first entry is the client.
    return _address(hops[-min(proxies, len(hops))])
