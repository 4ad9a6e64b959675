"""Product reviews earn: a scheduled scan owes `product_review` once per approved review
(deduplicationId product_review:<product id>:<review id>) to the shopper whose email wrote it.

Why a scan: BigCommerce sends no webhook for a review or its approval, and the reviews endpoint
(GET /v3/catalog/products/{id}/reviews, products_catalog.v3.yml) filters by status only: no date filter, no
sort. So a pass walks the catalog by product id (GET /v3/catalog/products?id:min=…&include_fields=reviews_count,
skipping products nobody reviewed) and reads each reviewed product's approved reviews (`status=1`), at most
REVIEW_SCAN_CALLS calls per run; the next run resumes where this one stopped (ReviewScan's cursor).

The watermark: a review earns when it is approved and its `date_modified` is after `ReviewScan.since`.
Approving a review modifies it, so a review written last month and approved today earns today. The first
pass counts from when the merchant switched the event on (the store's review history does not all pay out
at once); each later pass from when the previous one began. REVIEW_SCAN_SLACK is taken off the watermark for
clocks that disagree and BigCommerce's whole-second stamps: a review seen twice is harmless, its LoyaltyEvent
row (unique per store and deduplicationId) makes it one event, sent and retried like every other one.

Needs the optional scope store_v2_products_read_only (storefront.scopes.OPTIONAL_SCOPES): without it a run
records why (shown on the loyalty events page) and calls nothing. The reviewer is matched to a customer by
email (a customer this app knows, else BigCommerce's customer list); a guest reviewer earns under the email's
guest id, as a guest newsletter sign-up does. A review without an email earns nothing (Friendbuy needs one).

Beat runs referrals.review_scans_queue hourly, which queues referrals.review_scan per store that switched the
event on; a lease on the ReviewScan row keeps two workers off one store.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from referrals.orders.identity import friendbuy_customer_id
from storefront.bigcommerce import BigCommerceAuthError, BigCommerceClient, BigCommerceError
from storefront.clients import bigcommerce_for
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit
from storefront.scopes import PRODUCTS_READ, store_has_scope

from ..models import CustomerIdentity, EarningSettings, ReviewScan
from .events import PRODUCT_REVIEW, earning_event_owe

REVIEW_SCAN_SLACK = timedelta(minutes=10)
LEASE = timedelta(minutes=15)
PAGE = 250
SCOPE_MISSING = ("Reviews are off: this store's BigCommerce token lacks the optional Products read-only scope "
                 "(store_v2_products_read_only). Accept the app's updated permissions in the control panel "
                 "(or reinstall the app) and reviews start earning on the next scan.")


@dataclass
class ReviewScanRun:
    """What one run did: reviews owed an event (new or already owed), calls made, whether a pass ended."""

    owed: int = 0
    calls: int = 0
    pass_finished: bool = False
    reason: str = ""


def reviews_unavailable_reason(*, store: Store) -> str:
    """Why reviews cannot earn for this store right now ('' when they can)."""
    if not store_has_scope(granted=store.scopes or "", needed=PRODUCTS_READ):
        return SCOPE_MISSING
    return ""


def _scan_of(*, store: Store, settings: EarningSettings) -> ReviewScan:
    """The store's scan state; made on first use when the switch was set elsewhere than the merchant page
    (admin, a test): it counts from the settings' last change, the best record of the switch-on."""
    scan = ReviewScan.objects.filter(store=store).first()
    if scan is not None:
        return scan
    try:
        with transaction.atomic():
            return ReviewScan.objects.create(store=store, since=settings.updated_at or timezone.now())
    except IntegrityError:
        return ReviewScan.objects.get(store=store)


def _lease_take(scan: ReviewScan) -> str | None:
    now, token = timezone.now(), secrets.token_hex(16)
    taken = ReviewScan.objects.filter(pk=scan.pk).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)).update(lock_token=token, locked_until=now + LEASE)
    return token if taken else None


def _save(scan: ReviewScan, token: str, **fields) -> None:
    """Write the scan's progress, only while the lease is still ours."""
    for name, value in fields.items():
        setattr(scan, name, value)
    ReviewScan.objects.filter(pk=scan.pk, lock_token=token).update(**fields)


class _Scanner:
    """One bounded run over one store's catalog (see the module docstring)."""

    def __init__(self, *, store: Store, scan: ReviewScan, token: str, client: BigCommerceClient, budget: int):
        self.store, self.scan, self.token, self.client, self.budget = store, scan, token, client, budget
        self.run = ReviewScanRun()
        self.cutoff = scan.since - REVIEW_SCAN_SLACK
        self.customers: dict[str, str] = {}

    def _call_allowed(self) -> bool:
        return self.run.calls < self.budget

    def go(self) -> ReviewScanRun:
        if self.scan.pass_started_at is None:
            _save(self.scan, self.token, pass_started_at=timezone.now())
        while self._call_allowed():
            products = self.client.list_products_after(id_min=self.scan.next_product_id, limit=PAGE)
            self.run.calls += 1
            for product in products:
                if not self._product(product):
                    return self.run
            if len(products) < PAGE:
                self._pass_end()
                break
        return self.run

    def _product(self, product: dict) -> bool:
        """Read one product's approved reviews from the cursor's page on; False when the budget ran out."""
        product_id = int(product["id"])
        if product_id < self.scan.next_product_id:
            return True
        if int(product.get("reviews_count") or 0) > 0:
            page = self.scan.next_page if product_id == self.scan.next_product_id else 1
            while True:
                if not self._call_allowed():
                    _save(self.scan, self.token, next_product_id=product_id, next_page=page)
                    return False
                reviews, pages = self.client.list_approved_reviews(product_id, page=page, limit=PAGE)
                self.run.calls += 1
                for review in reviews:
                    self._review(product_id, review)
                if not reviews or page >= pages:
                    break
                page += 1
        _save(self.scan, self.token, next_product_id=product_id + 1, next_page=1)
        return True

    def _review(self, product_id: int, review: dict) -> None:
        if str(review.get("status") or "") != "approved":
            return
        modified = parse_datetime(str(review.get("date_modified") or ""))
        if modified is not None and modified < self.cutoff:
            return
        email = str(review.get("email") or "").strip()
        if not email:
            return
        event = earning_event_owe(
            store=self.store, event_type=PRODUCT_REVIEW, deduplication_id=f"{product_id}:{review['id']}",
            email=email, customer_id=self._customer_id(email),
            properties={"productId": product_id, "reviewId": review["id"], "rating": review.get("rating"),
                        "dateReviewed": review.get("date_reviewed") or ""})
        self.run.owed += event is not None

    def _customer_id(self, email: str) -> str:
        """The reviewer's Friendbuy customer id: a registered customer's id when one has this email."""
        key = email.lower()
        if key not in self.customers:
            identity = CustomerIdentity.objects.filter(store=self.store, email__iexact=email,
                                                       bc_customer_id__isnull=False).first()
            bc_id = identity.bc_customer_id if identity else None
            if bc_id is None and self._call_allowed():
                self.run.calls += 1
                found = [c for c in self.client.find_customers_by_email(email)
                         if str(c.get("email") or "").lower() == key]
                bc_id = int(found[0]["id"]) if found else None
            self.customers[key] = friendbuy_customer_id(store_hash=self.store.store_hash, bc_customer_id=bc_id,
                                                        email=email)
        return self.customers[key]

    def _pass_end(self) -> None:
        now = timezone.now()
        _save(self.scan, self.token, since=self.scan.pass_started_at or now, pass_started_at=None,
              next_product_id=0, next_page=1, last_pass_completed_at=now)
        self.run.pass_finished = True


def review_scan_run(*, store_id: int, budget: int | None = None,
                    client: BigCommerceClient | None = None) -> ReviewScanRun:
    """One bounded run of the store's review scan: owes product_review for approved reviews past the
    watermark, saves where it stopped. Does nothing (with the reason) when switched off, not installed, the
    scope is missing or another worker holds the store's scan."""
    store = Store.objects.get(pk=store_id)
    settings = EarningSettings.objects.filter(store=store).first()
    if settings is None or not settings.reviews_enabled:
        return ReviewScanRun(reason="Reviews are switched off for this store.")
    if not store.is_installed:
        return ReviewScanRun(reason="The store is not installed.")
    scan = _scan_of(store=store, settings=settings)
    reason = reviews_unavailable_reason(store=store)
    if reason:
        ReviewScan.objects.filter(pk=scan.pk).update(reason=reason, last_run_at=timezone.now())
        return ReviewScanRun(reason=reason)
    token = _lease_take(scan)
    if token is None:
        return ReviewScanRun(reason="Another worker is scanning this store's reviews.")
    scan.refresh_from_db()
    budget = budget if budget is not None else django_settings.REVIEW_SCAN_CALLS
    scanner = _Scanner(store=store, scan=scan, token=token, client=client or bigcommerce_for(store), budget=budget)
    try:
        run = scanner.go()
    except BigCommerceAuthError as exc:
        run = scanner.run
        run.reason = f"BigCommerce refused the catalog read ({exc.status}): {SCOPE_MISSING}"
    except BigCommerceError as exc:
        run = scanner.run
        run.reason = f"BigCommerce did not answer the review scan: {exc}"[:255]
    finally:
        ReviewScan.objects.filter(pk=scan.pk, lock_token=token).update(lock_token="", locked_until=None)
    ReviewScan.objects.filter(pk=scan.pk).update(reason=run.reason[:255], last_run_at=timezone.now())
    return run


def review_scans_queue() -> int:
    """Queue one scan run per installed store that switched reviews on (beat, hourly); returns how many."""
    store_ids = list(EarningSettings.objects.filter(reviews_enabled=True, store__status=Store.Status.INSTALLED)
                     .values_list("store_id", flat=True))
    for store_id in store_ids:
        task_enqueue_on_commit("referrals.review_scan", store_id)
    return len(store_ids)
