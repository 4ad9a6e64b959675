"""Recording a widget API call whose body we refused to parse (too large, nested too deep, not JSON).

Bounded like every unauthenticated record (inbound_evidence: size, SHA-256, first 1 KB) and limited
per client IP (inbound_limits): past the limit the call is still refused, just not recorded.
"""

from __future__ import annotations

from django.http import HttpRequest

from .bounded_json import Body
from .client_ip import client_ip
from .inbound_evidence import body_evidence, text_evidence
from .inbound_limits import unauthenticated_call_allowed
from .models import RejectedCall


def rejected_call_record(*, request: HttpRequest, public_id: str, status: int, reason: str,
                         body: Body) -> RejectedCall | None:
    """Store one refused call (None when its IP is over INBOUND_UNAUTHENTICATED_RATE)."""
    remote_ip = client_ip(request)
    if not unauthenticated_call_allowed(ip=remote_ip):
        return None
    evidence = body_evidence(body, authenticated=False)
    return RejectedCall.objects.create(
        path=text_evidence(request.path[:200]), public_id=text_evidence(public_id[:64]), remote_ip=remote_ip,
        status=status, reason=text_evidence(reason[:255]),
        user_agent=text_evidence(request.META.get("HTTP_USER_AGENT", "")[:255]),
        body_prefix=evidence["body"], body_size=evidence["body_size"], body_sha256=evidence["body_sha256"],
    )
