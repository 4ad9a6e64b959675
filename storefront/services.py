"""Writes for the storefront app."""
from .http import CallRecord
from .models import OutboundCall, Store


def outbound_call_record(record: CallRecord) -> OutboundCall:
    """Persist one outbound attempt (already redacted by the transport)."""
    store = Store.objects.filter(store_hash=record.store_hash).only("id").first() if record.store_hash else None
    return OutboundCall.objects.create(
        store=store, service=record.service, method=record.method, path=record.path, url=record.url,
        status=record.status, attempt=record.attempt, duration_ms=record.duration_ms, error=record.error,
        request_headers=record.request_headers, request_body=record.request_body,
        response_body=record.response_body,
    )
