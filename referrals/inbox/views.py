"""The two Friendbuy URLs of a store, thin edges: POST /friendbuy/webhooks/<public_id> (store, verify, queue,
answer) and POST /friendbuy/validation/<public_id> (store, verify, decide synchronously: the status is the answer)."""
from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from referrals.inbox.process import D
from referrals.inbox.receive import MAX_BODY, delivery_receive, refusal_response
from referrals.inbox.validation import validation_answer
from referrals.models import FriendbuyDelivery, ValidationCallback
from storefront.bounded_json import body_read
from storefront.client_ip import client_ip
from storefront.queueing import task_enqueue

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def friendbuy_webhook(request: HttpRequest, public_id: str) -> JsonResponse:
    """POST /friendbuy/webhooks/<public_id>. Thin: store, verify, queue, answer."""
    received = delivery_receive(kind=D.Kind.WEBHOOK, public_id=public_id, body=body_read(request, limit=MAX_BODY),
                                headers=request.headers, remote_ip=client_ip(request))
    if received.payload is None:
        return refusal_response(received, key="error")
    try:
        task_enqueue("referrals.friendbuy_delivery_process", received.delivery.pk)
    except Exception:
        # The row is committed: answering 500 would only make Friendbuy send it again. A delivery never
        # processed is taken by the retry sweep (referrals.friendbuy_deliveries_retry) once the broker is back.
        logger.exception("Could not queue Friendbuy delivery %s; the retry sweep will.", received.delivery.pk)
    return JsonResponse({"received": True, "delivery": received.delivery.pk}, status=200)


@csrf_exempt
@require_POST
def friendbuy_validation(request: HttpRequest, public_id: str) -> JsonResponse:
    """Thin edge: store + verify (401/404/413 recorded bounded, 429 not), then decide synchronously — the
    status is the answer."""
    received = delivery_receive(kind=FriendbuyDelivery.Kind.VALIDATION, public_id=public_id,
                                body=body_read(request, limit=MAX_BODY), headers=request.headers,
                                remote_ip=client_ip(request))
    if received.payload is None:
        if received.delivery is not None:
            ValidationCallback.objects.create(store=received.delivery.store, delivery=received.delivery,
                                              answer_status=received.http_status, reason=received.error[:255])
        return refusal_response(received, key="reason")
    callback = validation_answer(delivery=received.delivery, payload=received.payload)
    return JsonResponse({"reason": callback.reason}, status=callback.answer_status)
