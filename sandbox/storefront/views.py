"""The demo storefront's pages and the small endpoints its scripts and the fake Friendbuy SDK call.

Views stay thin: rendering of installed scripts is in page.py, shoppers and checkout in shoppers.py,
Friendbuy's side in friendbuy_side.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from sandbox.bigcommerce.models import FakeOrder
from sandbox.bigcommerce.views_auth import current_customer
from sandbox.faults import fault_response
from sandbox.friendbuy import world as fb_world
from storefront.models import Store

from . import friendbuy_side, page, shoppers

SDK_PATH = Path(__file__).resolve().parent / "fake_friendbuy_sdk.js"
COOKIE_AGE = 30 * 86400


def _store(store_hash: str) -> Store:
    store = Store.objects.filter(store_hash=store_hash).first()
    if store is None:
        raise Http404("No such store")
    return store


def _shopper(request: HttpRequest, store_hash: str) -> shoppers.Shopper | None:
    return shoppers.shopper_by_cookie(store_hash=store_hash, raw=request.COOKIES.get(shoppers.CUSTOMER_COOKIE))


def _page(request: HttpRequest, store: Store, template: str, *, page_type: str, order_id: int | None = None,
          extra: dict | None = None) -> HttpResponse:
    shopper = _shopper(request, store.store_hash)
    values = {"page_type": page_type, "customer.id": str(shopper.id) if shopper else "",
              "checkout.order.id": str(order_id or "")}
    visibility = page.CONFIRMATION_PAGES if page_type == "orderconfirmation" else page.STOREFRONT_PAGES
    scripts = page.page_scripts(page.installed_scripts(store_hash=store.store_hash), visibility=visibility,
                                values=values)
    base = reverse("sandbox-storefront-home", args=[store.store_hash])
    context = {
        "store": store, "shopper": shopper, "page_type": page_type, "scripts": scripts, "base": base,
        "sdk_status_url": reverse("sandbox-storefront-visitor-status", args=[store.store_hash]),
        "sdk_landing_url": reverse("sandbox-storefront-landing", args=[store.store_hash]),
        **(extra or {}),
    }
    response = render(request, template, context)
    if not request.COOKIES.get(shoppers.CART_COOKIE):
        # Every visitor has a cart from the first page on, so captures carry the cart the order will name.
        response.set_cookie(shoppers.CART_COOKIE, shoppers.new_cart_id(), max_age=COOKIE_AGE, samesite="Lax")
    return response


@require_GET
def home(request: HttpRequest, store_hash: str) -> HttpResponse:
    store = _store(store_hash)
    merchant = friendbuy_side.merchant_for(store)
    links = [{"email": link.email, "link": link.link,
              "landing": f"{reverse('sandbox-storefront-home', args=[store_hash])}?fbuy={link.code}"}
             for link in friendbuy_side.referral_links(store=store)]
    orders = FakeOrder.objects.filter(store__store_hash=store_hash).order_by("-order_id")[:5]
    purchases = fb_world.events(merchant, fb_world.PURCHASE)[::-1][:5]
    return _page(request, store, "sandbox/storefront/home.html", page_type="default", extra={
        "links": links, "orders": [o.data for o in orders], "purchases": [json.dumps(p) for p in purchases],
        "rewarded": request.GET.get("rewarded", ""),
    })


@require_GET
def account(request: HttpRequest, store_hash: str) -> HttpResponse:
    return _page(request, _store(store_hash), "sandbox/storefront/account.html", page_type="account")


def cart(request: HttpRequest, store_hash: str) -> HttpResponse:
    store = _store(store_hash)
    if request.method == "POST":
        cart_id = request.COOKIES.get(shoppers.CART_COOKIE) or shoppers.new_cart_id()
        order = shoppers.order_place(
            store_hash=store_hash, shopper=_shopper(request, store_hash),
            email=request.POST.get("email", "").strip() or "guest@example.com", cart_id=cart_id,
            coupon=request.POST.get("coupon", "").strip(),
        )
        response = redirect("sandbox-storefront-confirmation", store_hash=store_hash, order_id=order["id"])
        # The order used up the cart (and the coupon); the next visit starts a new one.
        response.set_cookie(shoppers.CART_COOKIE, shoppers.new_cart_id(), max_age=COOKIE_AGE, samesite="Lax")
        response.delete_cookie(shoppers.COUPON_COOKIE)
        return response
    return _page(request, store, "sandbox/storefront/cart.html", page_type="cart", extra={
        "product": shoppers.PRODUCT, "discount": shoppers.FRIEND_DISCOUNT,
        "coupon": request.COOKIES.get(shoppers.COUPON_COOKIE, ""),
    })


@require_GET
def confirmation(request: HttpRequest, store_hash: str, order_id: int) -> HttpResponse:
    store = _store(store_hash)
    order = FakeOrder.objects.filter(store__store_hash=store_hash, order_id=order_id).first()
    if order is None:
        raise Http404("No such order")
    return _page(request, store, "sandbox/storefront/confirmation.html", page_type="orderconfirmation",
                 order_id=order_id, extra={"order": order.data, "coupons": order.coupons})


@require_POST
def login(request: HttpRequest, store_hash: str) -> HttpResponse:
    """The log-in switch: sets (or clears) the customer cookie the fake /customer/current.jwt reads."""
    _store(store_hash)
    who = request.POST.get("who", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("sandbox-storefront-home", args=[store_hash])
    response = redirect(next_url)
    people = shoppers.demo_shoppers(store_hash=store_hash)
    if who in people:
        response.set_cookie(shoppers.CUSTOMER_COOKIE, str(people[who].id), max_age=COOKIE_AGE, samesite="Lax")
    else:
        response.delete_cookie(shoppers.CUSTOMER_COOKIE)
    return response


@require_POST
def reward_advocate(request: HttpRequest, store_hash: str) -> HttpResponse:
    store = _store(store_hash)
    ada = shoppers.demo_shoppers(store_hash=store_hash)["ada"]
    result = friendbuy_side.advocate_reward(store=store, advocate=ada)
    return redirect(f"{reverse('sandbox-storefront-home', args=[store_hash])}?rewarded={result['webhookStatus']}")


@csrf_exempt
@require_POST
def landing(request: HttpRequest, store_hash: str) -> JsonResponse:
    """Called by the fake SDK when a visitor arrives by a referral link."""
    store = _store(store_hash)
    try:
        code = str(json.loads(request.body or b"{}").get("referralCode") or "")
    except (ValueError, AttributeError):
        code = ""
    visitor = friendbuy_side.friend_landing(store=store, referral_code=code, shopper=_shopper(request, store_hash),
                                            user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if visitor is None:
        return JsonResponse({"error": "unknown referral code"}, status=404)
    response = JsonResponse(visitor)
    response.set_cookie(shoppers.COUPON_COOKIE, visitor["couponCode"], max_age=COOKIE_AGE, samesite="Lax")
    return response


@require_GET
def visitor_status(request: HttpRequest, store_hash: str) -> JsonResponse:
    store = _store(store_hash)
    status = friendbuy_side.visitor_status(
        store=store, referral_code=request.GET.get("referralCode", ""),
        attribution_id=request.GET.get("attributionId", ""), shopper=_shopper(request, store_hash),
    )
    return JsonResponse(status)


@require_GET
def friendbuy_sdk(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SDK_PATH.read_text(), content_type="text/javascript")


# --- root-level storefront endpoints (Stencil serves these on the store's own domain) ---------------


@require_GET
def current_jwt(request: HttpRequest) -> HttpResponse:
    """/customer/current.jwt on the demo origin: the BigCommerce sandbox's answer for the logged-in shopper."""
    raw = request.COOKIES.get(shoppers.CUSTOMER_COOKIE, "")
    store_hash = shoppers.store_hash_of_customer(int(raw)) if raw.isdigit() else None
    if store_hash is None:
        injected = fault_response(request, service="bigcommerce")
        return injected if injected is not None else HttpResponse(status=404)
    return current_customer(request, store_hash)


@require_GET
def carts(request: HttpRequest) -> JsonResponse:
    """Storefront Carts API (GET /api/storefront/carts): the visitor's one cart, by its cookie."""
    injected = fault_response(request, service="bigcommerce")
    if injected is not None:
        return injected
    cart_id = request.COOKIES.get(shoppers.CART_COOKIE, "")
    return JsonResponse([{"id": cart_id}] if cart_id else [], safe=False)


@require_GET
def storefront_order(request: HttpRequest, order_id: int) -> JsonResponse:
    """Storefront Orders API (GET /api/storefront/order/{id}): the order with the cart it came from."""
    injected = fault_response(request, service="bigcommerce")
    if injected is not None:
        return injected
    order = FakeOrder.objects.filter(order_id=order_id).order_by("-id").first()
    if order is None:
        return JsonResponse({"status": 404, "title": "Order not found"}, status=404)
    return JsonResponse({"orderId": order.order_id, "cartId": order.data.get("cart_id", ""),
                         "customerId": order.data.get("customer_id", 0), "status": order.data.get("status", "")})
