"""Fault injection shared by both fakes: `inject()` from tests, `fault_response()` from the fake views.

Faults live in the database, never in a process cache, so one injected by a test takes effect on the
very next request, in this process or in a separately served sandbox. The hot gateways fold the
"is any fault armed?" check into the one query they make anyway (`armed_sql()`) and call `consume()`
only when it says yes.
"""
import json

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from . import sql
from .models import SandboxFault


def armed_sql() -> str:
    """An SQL boolean: is a fault armed for the service given as its one %s parameter?"""
    # Only quoted names from the model's metadata are interpolated; the service is a parameter.
    return (
        f"EXISTS (SELECT 1 FROM {sql.table(SandboxFault)} WHERE {sql.column(SandboxFault, 'service')} = %s"  # noqa: S608
        f" AND {sql.column(SandboxFault, 'remaining')} > 0)"
    )


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
    if not sql.fetch_row(f"SELECT {armed_sql()}", [service])[0]:
        return None
    return consume(request, service=service)


def consume(request: HttpRequest, *, service: str) -> HttpResponse | None:
    """Under row locks, use up the first armed fault matching the request and build its answer, or None."""
    with transaction.atomic():
        for fault in SandboxFault.objects.select_for_update().filter(service=service, remaining__gt=0).order_by("id"):
            if fault.method and fault.method != request.method:
                continue
            if fault.path_contains and not _path_matches(fault.path_contains, request.path):
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


def _path_matches(pattern: str, path: str) -> bool:
    """`pattern` anywhere in the path; a trailing `$` anchors it at the end (`/v2/orders$`: the list, not one order)."""
    return path.endswith(pattern[:-1]) if pattern.endswith("$") else pattern in path


def _default_body(service: str, status: int):
    if service == "friendbuy":
        return {"error": "Sandbox fault", "message": f"Injected {status}", "code": status, "reference": "sandbox"}
    return {"status": status, "title": f"Injected {status}", "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}
