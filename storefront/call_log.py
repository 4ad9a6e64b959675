"""The outbound call log: one OutboundCall row per attempt of a call to BigCommerce or Friendbuy.

The shared transport (storefront.http) hands each attempt, already redacted, to a recorder;
`outbound_call_record` is that recorder (storefront.clients binds it to a store). `outbound_calls_batched`
holds the rows of one unit of work and writes them in one INSERT at its end.
"""
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError

from .http import CallRecord
from .models import OutboundCall, Store

logger = logging.getLogger(__name__)

_batch = threading.local()


def outbound_call_record(record: CallRecord, *, store_id: int | None = None) -> OutboundCall:
    """Persist one outbound attempt (already redacted by the transport), or hold it for the open batch.

    A caller that knows the store passes `store_id`, saving a lookup by store hash on every attempt.
    """
    if store_id is None and record.store_hash:
        store_id = Store.objects.filter(store_hash=record.store_hash).values_list("id", flat=True).first()
    call = OutboundCall(
        store_id=store_id, service=record.service, method=record.method, path=record.path, url=record.url,
        status=record.status, attempt=record.attempt, duration_ms=record.duration_ms, error=record.error,
        request_headers=record.request_headers, request_body=record.request_body,
        response_body=record.response_body,
    )
    pending = getattr(_batch, "calls", None)
    if pending is None:
        call.save(force_insert=True)
    else:
        pending.append(call)
    return call


@contextmanager
def outbound_calls_batched() -> Iterator[None]:
    """Write the call log of a unit of work (one order's re-fetch GETs) in one INSERT at its end.

    Saves a commit per call on the hot path. The rows are written however the block ends, so a
    failed unit of work still shows what it called; nested blocks leave the writing to the outermost.
    """
    if getattr(_batch, "calls", None) is not None:
        yield
        return
    _batch.calls = []
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        calls, _batch.calls = _batch.calls, None
        if calls:
            try:
                OutboundCall.objects.bulk_create(calls)
            except DatabaseError:
                if not failed:
                    raise
                # The block is already failing (its transaction may be broken); its own error matters more.
                logger.warning("Could not write %d outbound call rows of a failed unit of work.", len(calls))
