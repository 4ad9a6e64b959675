"""Fault injection shared by both fakes: `inject()` from tests, `fault_response()` from the fake views."""
import json

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from .models import SandboxFault


def inject(*, service: str, status: int = 503, times: int = 1, method: str = "", path_contains: str = "",
           headers: dict | None = None, body=None, timeout: bool = False) -> SandboxFault:
    return SandboxFault.objects.create(
        service=service, status=status, remaining=times, method=method.upper(), path_contains=path_contains,
        headers=headers or {}, body=body, kind=SandboxFault.Kind.TIMEOUT if timeout else SandboxFault.Kind.STATUS,
    )


def clear() -> None:
    SandboxFault.objects.all().delete()


def fault_response(request: HttpRequest, *, service: str) -> HttpResponse | None:
    """Consume the first matching fault and build its answer, or None to answer normally."""
    # Almost every call finds no fault armed: one plain read answers that without a transaction and
    # row locks (a fault armed just after this read is the same as one armed after the request).
    if not SandboxFault.objects.filter(service=service, remaining__gt=0).exists():
        return None
    with transaction.atomic():
        for fault in SandboxFault.objects.select_for_update().filter(service=service, remaining__gt=0).order_by("id"):
            if fault.method and fault.method != request.method:
                continue
            if fault.path_contains and fault.path_contains not in request.path:
                continue
            SandboxFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1, hits=F("hits") + 1)
            if fault.kind == SandboxFault.Kind.TIMEOUT:
                response = HttpResponse(status=504)
                response["X-Sandbox-Fault"] = "timeout"
                return response
            body = fault.body if fault.body is not None else _default_body(service, fault.status)
            response = HttpResponse(json.dumps(body), status=fault.status, content_type="application/json")
            for name, value in fault.headers.items():
                response[name] = str(value)
            return response
    return None


def _default_body(service: str, status: int):
    if service == "friendbuy":
        return {"error": "Sandbox fault", "message": f"Injected {status}", "code": status, "reference": "sandbox"}
    return {"status": status, "title": f"Injected {status}", "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}
