"""The HTTP edge of the BigCommerce webhook inbox: POST /bigcommerce/webhooks/<public_id>.

The decision and the stored row are the inbox's (storefront.webhooks.inbox); this view reads the bounded
body, answers, and hands an accepted delivery to the processing queue once its row is committed.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..bounded_json import body_read
from ..client_ip import client_ip
from .delivery_queue import webhook_delivery_queue
from .inbox import MAX_BODY_BYTES, InboxAnswer, webhook_receive


def _response(result: InboxAnswer) -> HttpResponse:
    if 200 <= result.status < 300:
        # BigCommerce recommends no body and no extra headers on an acknowledgement (§2.4).
        return HttpResponse(status=result.status, content_type=None)
    response = JsonResponse({"status": result.status, "message": result.message}, status=result.status)
    if result.status == 429:
        response["Retry-After"] = "60"
    return response


@csrf_exempt
@require_POST
@transaction.non_atomic_requests  # the row must be committed before we answer, whatever the settings
def bigcommerce_webhook(request: HttpRequest, public_id: str) -> HttpResponse:
    result = webhook_receive(
        public_id=public_id,
        body=body_read(request, limit=MAX_BODY_BYTES),
        headers=request.headers,
        remote_ip=client_ip(request),
    )
    if result.to_process:
        webhook_delivery_queue(delivery_id=result.delivery_id)
    return _response(result)
