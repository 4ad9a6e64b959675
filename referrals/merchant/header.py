"""The merchant pages' header facts for every template (a context processor): the store user's role in words,
so pages whose views live below the merchant layer (reports, events) show it like the others."""

from django.http import HttpRequest

from referrals.merchant.access import store_user_role


def app_header(request: HttpRequest) -> dict:
    store_user = getattr(request, "store_user", None)
    return {"app_role": store_user_role(store_user)} if store_user is not None else {}
