"""Writes for coupons: promotions, exactly-once minting, disabling, expiry, redemption and code pools.

Exactly-once minting (DESIGN.md §3.7): the CouponCode row with a locally chosen code is inserted and
committed before BigCommerce is called, keyed by (store, source_key). Only the holder of a short
lease on that row calls BigCommerce; since the code string is fixed before the call, a retry after
a crash (or a concurrent duplicate) can only ever create, or find, that same code — never a second
one. A 409/422 on create means the code already exists there: we look it up and adopt it.
"""
from __future__ import annotations

import contextlib
import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from storefront.bigcommerce import (
    BigCommerceClient,
    BigCommerceConflict,
    BigCommerceError,
    BigCommerceInvalid,
    BigCommerceNotFound,
)
from storefront.clients import bigcommerce_for
from storefront.models import Store

from .codes import AMBIGUOUS, canonical, clean_prefix, generate_code
from .models import CodePool, CouponCode, CouponTemplate, Promotion, Redemption, RedemptionAnomaly

logger = logging.getLogger(__name__)

# Sent (after commit) when a code is confirmed in BigCommerce; referrals moves its reward to issued.
coupon_activated = Signal()  # sender=CouponCode, coupon=CouponCode

MINT_LEASE = timedelta(seconds=60)
# Long enough for a few /codegen batches; a refiller that died frees the pool after it.
REFILL_LEASE = timedelta(seconds=120)
MAX_MINT_ATTEMPTS = 12
CODEGEN_BATCH = 250
CENT = Decimal("0.01")
DEFAULT_TEMPLATE_NAME = "default"
CODE_COLLISION_TRIES = 5


class MintFailed(Exception):
    """BigCommerce refused the code for a reason retrying will not fix (recorded on the row)."""


# --- templates and promotions -------------------------------------------------------------------


def coupon_template_default(*, store: Store) -> CouponTemplate:
    """The store's default template (created on first use): amount from the reward, 90 days, prefix FB."""
    template, _ = CouponTemplate.objects.get_or_create(
        store=store, name=DEFAULT_TEMPLATE_NAME,
        defaults={"recipients": [], "reward_types": ["discount"]},
    )
    return template


def coupon_template_for(*, store: Store, recipient: str, reward_type: str) -> CouponTemplate | None:
    """The active template that mints codes for this recipient and Friendbuy rewardType, if any."""
    templates = list(CouponTemplate.objects.filter(store=store, is_active=True).order_by("id"))
    if not templates:
        templates = [coupon_template_default(store=store)]
    for template in templates:
        recipients = template.recipients or []
        types = template.reward_types or ["discount"]
        if (not recipients or recipient in recipients) and reward_type in types:
            return template
    return None


def discount_for(*, template: CouponTemplate, unit: str) -> str:
    """'fixed' or 'percentage': the template's choice, or the reward's unit when it defers to the reward."""
    if template.discount_kind == CouponTemplate.DiscountKind.FROM_REWARD:
        return "percentage" if unit.strip() == "%" else "fixed"
    return template.discount_kind


def amount_for(*, template: CouponTemplate, amount: Decimal) -> Decimal:
    """The code's value: the reward's amount, or the template's fixed amount when it sets one."""
    if template.amount_source == CouponTemplate.AmountSource.FIXED and template.fixed_amount:
        return Decimal(template.fixed_amount)
    return Decimal(amount)


def currency_for(*, store: Store, kind: str, unit: str) -> str:
    """A fixed discount is in the reward's currency (rewardUnit); a percentage in the store's default."""
    unit = unit.strip().upper()
    return unit if kind == "fixed" and len(unit) == 3 and unit.isalpha() else store.default_currency


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def promotion_body(promotion: Promotion) -> dict:
    """POST /v3/promotions body for a coupon promotion (reference §5.2, promotions.v3.yml).

    Per-code expiry is kept locally (CouponCode.expires_at) rather than as the promotion's end_date,
    because one promotion serves codes issued on many days.
    """
    if promotion.discount_kind == "percentage":
        discount = {"percentage_amount": _money(promotion.amount)}
    else:
        discount = {"fixed_amount": _money(promotion.amount)}
    matchers = ([{"products": list(promotion.product_ids)}] if promotion.product_ids else []) + (
        [{"categories": list(promotion.category_ids)}] if promotion.category_ids else [])
    if matchers:
        # Only the chosen products or categories are discounted; a fixed amount is spread over them once.
        items = matchers[0] if len(matchers) == 1 else {"or": matchers}
        action: dict = {"cart_items": {"discount": discount, "items": items,
                                       "as_total": promotion.discount_kind != "percentage"}}
    else:
        action = {"cart_value": {"discount": discount}}
    rule: dict = {"action": action, "apply_once": True, "stop": not promotion.free_shipping}
    if promotion.min_spend and promotion.min_spend > 0:
        rule["condition"] = {"cart": {"minimum_spend": _money(promotion.min_spend)}}
    rules = [rule]
    if promotion.free_shipping:
        shipping: dict = {"action": {"shipping": {"free_shipping": True, "zone_ids": "*"}}, "apply_once": True,
                          "stop": True}
        if "condition" in rule:
            shipping["condition"] = rule["condition"]
        rules.append(shipping)
    return {
        "name": promotion.name,
        "redemption_type": "COUPON",
        "coupon_type": promotion.coupon_type,
        "rules": rules,
        "status": "ENABLED",
        "stop": False,
        "currency_code": promotion.currency,
        "notifications": [],
    }


def promotion_ensure(*, store: Store, template: CouponTemplate, discount_kind: str, amount: Decimal,
                     currency: str, coupon_type: str = Promotion.CouponType.SINGLE,
                     client: BigCommerceClient | None = None) -> Promotion:
    """The one promotion for this template, amount and currency, created in BigCommerce if needed."""
    promotion = promotion_row(store=store, template=template, kind=discount_kind, amount=amount,
                              currency=currency, coupon_type=coupon_type)
    return promotion_remote_ensure(promotion=promotion, client=client)


def promotion_remote_ensure(*, promotion: Promotion, client: BigCommerceClient | None = None) -> Promotion:
    """This promotion row, created in BigCommerce (from its own snapshot of the rules) if it isn't yet."""
    if promotion.bc_promotion_id:
        return promotion
    client = client or bigcommerce_for(promotion.store)
    # Row lock so concurrent mints for the same amount create one promotion; the name carries our id,
    # so a create that committed remotely but not here (crash) is found by name instead of repeated.
    with transaction.atomic():
        promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if promotion.bc_promotion_id:
            return promotion
        existing = next((p for p in client.iter_promotions(name=promotion.name)
                         if p.get("name") == promotion.name), None)
        remote = existing or client.create_promotion(promotion_body(promotion))
        promotion.bc_promotion_id = int(remote["id"])
        promotion.last_error = ""
        promotion.save(update_fields=["bc_promotion_id", "last_error"])
    return promotion


# --- minting one code ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    """What to mint: the value and rules of the code and who it is for."""

    source_key: str
    amount: Decimal
    unit: str
    customer_id: str = ""
    email: str = ""


def coupon_reserve(*, store: Store, template: CouponTemplate, request: CodeRequest) -> CouponCode:
    """Insert (and commit) the CouponCode row for `request.source_key`, or return the existing one.

    This row is the idempotency record: everything after it can crash and be resumed.
    """
    # No look-before-insert: the (store, source_key) unique constraint answers "already reserved"
    # (see the except below), so a first reservation costs one INSERT instead of a SELECT and an INSERT.
    kind = discount_for(template=template, unit=request.unit)
    currency = currency_for(store=store, kind=kind, unit=request.unit)
    amount = amount_for(template=template, amount=request.amount)
    promotion = promotion_row(store=store, template=template, kind=kind, amount=amount, currency=currency)
    expires_at = timezone.now() + timedelta(days=template.expiry_days) if template.expiry_days else None
    for _ in range(CODE_COLLISION_TRIES):
        try:
            with transaction.atomic():
                return CouponCode.objects.create(
                    store=store, code=generate_code(prefix=template.prefix, length=template.code_length),
                    source_key=request.source_key, promotion=promotion, state=CouponCode.State.MINTING,
                    issued_to_customer_id=request.customer_id or "", issued_to_email=request.email or "",
                    amount=amount.quantize(CENT), currency=currency, discount_kind=kind,
                    min_spend=template.min_spend, expires_at=expires_at,
                )
        except IntegrityError:
            # Either a concurrent duplicate of the same request (return its row) or, very rarely, a
            # random code collision (try another code).
            existing = CouponCode.objects.filter(store=store, source_key=request.source_key).first()
            if existing is not None:
                return existing
    raise MintFailed("Could not choose a unique code")


def promotion_row(*, store: Store, template: CouponTemplate, kind: str, amount: Decimal, currency: str,
                  coupon_type: str = Promotion.CouponType.SINGLE) -> Promotion:
    """The local promotion row (maybe not yet in BigCommerce) for this template (at its current revision),
    amount and currency. A new revision gets a new row: promotions already in BigCommerce never change."""
    key = {"store": store, "template": template, "template_revision": template.revision, "discount_kind": kind,
           "amount": Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP), "currency": currency.upper(),
           "coupon_type": coupon_type}
    promotion = Promotion.objects.filter(**key).first()
    if promotion is not None:
        return promotion
    try:
        with transaction.atomic():
            promotion = Promotion.objects.create(
                **key, min_spend=template.min_spend, free_shipping=template.free_shipping,
                product_ids=list(template.product_ids or []), category_ids=list(template.category_ids or []),
                max_uses_per_customer=1 if template.one_use_per_customer else 0, name="",
            )
            unit = "%" if kind == "percentage" else f" {key['currency']}"
            # Our id in the name makes it unique in BigCommerce and findable after a crash.
            promotion.name = (f"Friendbuy {template.name} {_money(key['amount'])}{unit}"
                              f" {coupon_type.lower()} #{promotion.pk}")
            promotion.save(update_fields=["name"])
            return promotion
    except IntegrityError:
        return Promotion.objects.get(**key)


def _claim(coupon_id: int, *, now: datetime) -> bool:
    """Take the minting lease (one caller at a time may talk to BigCommerce about this code)."""
    return CouponCode.objects.filter(pk=coupon_id, state=CouponCode.State.MINTING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
    ).update(lease_until=now + MINT_LEASE, mint_attempts=F("mint_attempts") + 1) == 1


def _coupon_activate(*, coupon: CouponCode, remote: dict, announce: bool = True) -> CouponCode:
    """Record BigCommerce's confirmation; announce it once committed (unless the caller handles it)."""
    fields = {"state": CouponCode.State.ACTIVE, "bc_code_id": remote.get("id"), "minted_at": timezone.now(),
              "lease_until": None, "last_error": ""}
    updated = CouponCode.objects.filter(pk=coupon.pk, state=CouponCode.State.MINTING).update(**fields)
    if not updated:
        coupon.refresh_from_db()
        return coupon
    for name, value in fields.items():
        setattr(coupon, name, value)
    if announce:
        transaction.on_commit(lambda: coupon_activated.send(sender=CouponCode, coupon=coupon))
    return coupon


def coupon_retire(*, coupon: CouponCode, reason: str) -> CouponCode:
    """A code that never made it into BigCommerce: disabled here (there is nothing to delete there)."""
    CouponCode.objects.filter(pk=coupon.pk, state=CouponCode.State.MINTING).update(
        state=CouponCode.State.DISABLED, disabled_at=timezone.now(), disabled_reason=reason[:255],
        lease_until=None,
    )
    coupon.refresh_from_db()
    return coupon


def _release(coupon: CouponCode, error: str) -> None:
    CouponCode.objects.filter(pk=coupon.pk).update(lease_until=None, last_error=error[:2000])


def coupon_mint(*, coupon_id: int, client: BigCommerceClient | None = None, announce: bool = True,
                coupon: CouponCode | None = None) -> CouponCode:
    """Make sure the reserved code exists in BigCommerce. Safe to call any number of times, concurrently.

    Returns the row (active, or still minting when another caller holds the lease). Retryable
    BigCommerce errors (429/5xx/timeouts, after the client's own retries) are re-raised for the
    task to retry; a permanent refusal raises MintFailed. `announce=False` skips the coupon_activated
    signal for callers that act on the returned state themselves. `coupon`: the row the caller just
    reserved or read (saves reading it again); only the lease claim below decides who mints.
    """
    if coupon is None or coupon.pk != coupon_id:
        coupon = CouponCode.objects.select_related("store", "promotion__template").get(pk=coupon_id)
    if coupon.state != CouponCode.State.MINTING:
        return coupon
    if not _claim(coupon.pk, now=timezone.now()):
        coupon.refresh_from_db()  # the lease holder may have finished since the row was read
        return coupon
    client = client or bigcommerce_for(coupon.store)
    try:
        promotion = promotion_remote_ensure(promotion=coupon.promotion, client=client)
        remote = _create_or_find(client, promotion=promotion, code=coupon.code)
    except BigCommerceError as exc:
        _release(coupon, str(exc))
        if exc.retryable:
            raise
        raise MintFailed(str(exc)) from exc
    return _coupon_activate(coupon=coupon, remote=remote, announce=announce)


def _create_or_find(client: BigCommerceClient, *, promotion: Promotion, code: str) -> dict:
    try:
        return client.create_coupon_code(promotion.bc_promotion_id, code=code, max_uses=1,
                                         max_uses_per_customer=promotion.max_uses_per_customer)
    except (BigCommerceConflict, BigCommerceInvalid):
        # "Already exists": an earlier attempt got through before we could record it.
        found = client.find_coupon_code(code)
        if found is None:
            raise
        return found


def coupon_reconcile_minting(*, now: datetime | None = None, min_age: timedelta = timedelta(seconds=30),
                             limit: int = 200) -> dict:
    """Finish codes left in minting (crash between the remote call and the commit, or retries used up).

    The code is looked up in BigCommerce first (`find_coupon_code`): found → adopted; absent → created.
    """
    now = now or timezone.now()
    due = CouponCode.objects.filter(
        state=CouponCode.State.MINTING, created_at__lte=now - min_age, mint_attempts__lt=MAX_MINT_ATTEMPTS,
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).order_by("created_at")[:limit]
    result = {"checked": 0, "completed": 0, "failed": 0}
    for coupon in due.select_related("store", "promotion"):
        result["checked"] += 1
        if not _claim(coupon.pk, now=now):
            continue
        client = bigcommerce_for(coupon.store)
        try:
            found = client.find_coupon_code(coupon.code)
            if found is None:
                promotion = promotion_remote_ensure(promotion=coupon.promotion, client=client)
                found = _create_or_find(client, promotion=promotion, code=coupon.code)
        except BigCommerceError as exc:
            _release(coupon, str(exc))
            result["failed"] += 1
            if not exc.retryable and coupon.promotion.coupon_type == Promotion.CouponType.SINGLE:
                # A SINGLE promotion takes one code: this one never will be. Retired, its reward is
                # picked up by the pending-issue sweep and gets a pool code instead.
                coupon_retire(coupon=coupon, reason=f"BigCommerce refused the code: {exc}")
            continue
        _coupon_activate(coupon=coupon, remote=found)
        result["completed"] += 1
    return result


# --- disabling, expiry -----------------------------------------------------------------------------


def coupon_disable(*, coupon: CouponCode, reason: str, expired: bool = False,
                   client: BigCommerceClient | None = None) -> CouponCode:
    """Delete the code in BigCommerce and mark it disabled (or expired). Redeemed codes are left alone."""
    if coupon.state in (CouponCode.State.REDEEMED, CouponCode.State.DISABLED, CouponCode.State.EXPIRED):
        return coupon
    client = client or bigcommerce_for(coupon.store)
    bc_code_id, bc_promotion_id = coupon.bc_code_id, coupon.promotion.bc_promotion_id
    if bc_code_id is None:
        # Minting never confirmed, or a pool code (codegen answers no ids): ask BigCommerce.
        found = client.find_coupon_code(coupon.code)
        bc_code_id = found.get("id") if found else None
    if bc_code_id and bc_promotion_id:
        with contextlib.suppress(BigCommerceNotFound):  # already gone: the outcome we want
            client.delete_coupon_code(bc_promotion_id, bc_code_id)
    state = CouponCode.State.EXPIRED if expired else CouponCode.State.DISABLED
    CouponCode.objects.filter(pk=coupon.pk).exclude(state=CouponCode.State.REDEEMED).update(
        state=state, disabled_at=timezone.now(), disabled_reason=reason[:255], lease_until=None,
    )
    coupon.refresh_from_db()
    return coupon


def coupon_expire_due(*, now: datetime | None = None, limit: int = 500) -> list[CouponCode]:
    """Expire (and delete in BigCommerce) unredeemed codes past their expiry; returns those expired."""
    now = now or timezone.now()
    due = CouponCode.objects.filter(
        state__in=[CouponCode.State.ACTIVE, CouponCode.State.MINTING], expires_at__lte=now,
    ).select_related("store", "promotion")[:limit]
    expired = []
    for coupon in due:
        try:
            expired.append(coupon_disable(coupon=coupon, reason="expired", expired=True))
        except BigCommerceError as exc:
            logger.warning("Could not expire coupon %s: %s", coupon.pk, exc)
    return expired


# --- redemption -----------------------------------------------------------------------------------


def coupon_redeem(*, store: Store, code: str, bc_order_id: int, customer_id: str = "", email: str = "",
                  order_total: Decimal | None = None) -> Redemption | None:
    """Record that a paid order used one of our codes (case-insensitive match); None if not ours.

    A code used by someone other than the shopper it was issued to is recorded as a
    RedemptionAnomaly (kind code_used_by_other_customer) for the fraud review.
    """
    coupon = CouponCode.objects.filter(store=store, code=canonical(code)).first()
    if coupon is None:
        return None
    customer_id = "" if str(customer_id) in ("", "0", "None") else str(customer_id)
    with transaction.atomic():
        coupon = CouponCode.objects.select_for_update().get(pk=coupon.pk)
        redemption, created = Redemption.objects.get_or_create(
            coupon=coupon, bc_order_id=bc_order_id,
            defaults={"store": store, "customer_id": customer_id, "email": email, "order_total": order_total},
        )
        if coupon.state in (CouponCode.State.ACTIVE, CouponCode.State.MINTING):
            coupon.state, coupon.redeemed_at, coupon.lease_until = CouponCode.State.REDEEMED, timezone.now(), None
            coupon.save(update_fields=["state", "redeemed_at", "lease_until"])
        elif created and coupon.state != CouponCode.State.REDEEMED:
            _anomaly(coupon, bc_order_id, RedemptionAnomaly.Kind.CODE_NOT_ACTIVE,
                     {"state": coupon.state, "code": coupon.code})
        if _used_by_other(coupon, customer_id=customer_id, email=email):
            _anomaly(coupon, bc_order_id, RedemptionAnomaly.Kind.CODE_USED_BY_OTHER_CUSTOMER, {
                "code": coupon.code, "issued_to_customer_id": coupon.issued_to_customer_id,
                "issued_to_email": coupon.issued_to_email, "order_customer_id": customer_id,
                "order_email": email,
            })
    return redemption


def _used_by_other(coupon: CouponCode, *, customer_id: str, email: str) -> bool:
    if coupon.issued_to_customer_id and customer_id:
        return coupon.issued_to_customer_id != customer_id
    if coupon.issued_to_email and email:
        return coupon.issued_to_email.strip().lower() != email.strip().lower()
    return False


def _anomaly(coupon: CouponCode, bc_order_id: int, kind: str, evidence: dict) -> None:
    RedemptionAnomaly.objects.get_or_create(
        coupon=coupon, bc_order_id=bc_order_id, kind=kind, defaults={"store": coupon.store, "evidence": evidence},
    )


# --- pools (Friendbuy Code Banks) ---------------------------------------------------------------------


def pool_create(*, store: Store, template: CouponTemplate, name: str, amount: Decimal, unit: str,
                low_threshold: int = 50, refill_to: int = 0, client: BigCommerceClient | None = None) -> CodePool:
    """A pool on its own BULK coupon promotion (codegen only works on BULK promotions)."""
    existing = CodePool.objects.filter(store=store, name=name).first()
    if existing is not None:
        return existing
    kind = discount_for(template=template, unit=unit)
    currency = currency_for(store=store, kind=kind, unit=unit)
    promotion = promotion_ensure(store=store, template=template, discount_kind=kind, amount=amount,
                                 currency=currency, coupon_type=Promotion.CouponType.BULK, client=client)
    pool, _ = CodePool.objects.get_or_create(
        store=store, name=name,
        defaults={"template": template, "promotion": promotion, "low_threshold": low_threshold,
                  "refill_to": refill_to},
    )
    return pool


def pool_mint(*, pool: CodePool, count: int, client: BigCommerceClient | None = None) -> int:
    """Generate `count` codes with POST /promotions/{id}/codegen in batches of ≤ 250; returns how many."""
    pool = CodePool.objects.select_related("store", "template", "promotion").get(pk=pool.pk)
    client = client or bigcommerce_for(pool.store)
    minted = 0
    while minted < count:
        made = pool_codegen_batch(pool=pool, size=min(CODEGEN_BATCH, count - minted), client=client)
        if not made:
            break
        minted += made
    return minted


def pool_codegen_batch(*, pool: CodePool, size: int, client: BigCommerceClient) -> int:
    """One POST /codegen of `size` (≤ 250) one-time codes, stored as the pool's available codes.

    Code Bank codes expire `expiry_days` after generation (Friendbuy hands them out later, unseen);
    reward-pool codes get their expiry when handed to a reward, so a code waiting in the pool never ages.
    """
    template, promotion = pool.template, pool.promotion
    expires_at = None
    if template.expiry_days and pool.purpose == CodePool.Purpose.CODE_BANK:
        expires_at = timezone.now() + timedelta(days=template.expiry_days)
    prefix = clean_prefix(template.prefix) or None
    answer = client.codegen(
        promotion.bc_promotion_id, batch_size=min(size, CODEGEN_BATCH), max_uses=1,
        max_uses_per_customer=promotion.max_uses_per_customer,
        prefix=prefix, delimiter="-" if prefix else None,
        code_length=max(6, min(16, template.code_length)), exclude_characters=list(AMBIGUOUS),
    )
    codes = [canonical(item["code"]) for item in (answer or {}).get("codes", []) if item.get("code")]
    now = timezone.now()
    CouponCode.objects.bulk_create([
        CouponCode(store=pool.store, code=code, promotion=promotion, pool=pool, state=CouponCode.State.ACTIVE,
                   amount=promotion.amount, currency=promotion.currency, discount_kind=promotion.discount_kind,
                   min_spend=promotion.min_spend, expires_at=expires_at, minted_at=now)
        for code in codes
    ], ignore_conflicts=True)
    return len(codes)


def pool_export_csv(*, pool: CodePool, stream: TextIO) -> int:
    """Write the pool's available codes as Friendbuy's Code Bank upload wants: column 1, no header."""
    writer = csv.writer(stream)
    rows = 0
    for code in available_pool_codes(pool=pool):
        writer.writerow([code])
        rows += 1
    return rows


def available_pool_codes(*, pool: CodePool) -> Iterable[str]:
    return pool_available(pool=pool).order_by("id").values_list("code", flat=True).iterator()


def pool_available(*, pool: CodePool):
    """The pool's codes nobody has been given yet (the coupon_pool_available index covers this)."""
    return CouponCode.objects.filter(
        pool=pool, state=CouponCode.State.ACTIVE, source_key__isnull=True, handed_out_at__isnull=True,
    )


def pool_code_hand_out(*, store: Store, code: str, customer_id: str = "", email: str = "") -> CouponCode | None:
    """Friendbuy distributed one of our Code Bank codes (seen as couponCode in a webhook): remember to whom.

    Only Code Bank pools: a reward pool's codes are handed out by this app alone (reward_pools), so a
    webhook naming one can't claim it.
    """
    bank = {"store": store, "code": canonical(code), "pool__purpose": CodePool.Purpose.CODE_BANK}
    updated = CouponCode.objects.filter(**bank, handed_out_at__isnull=True).update(
        handed_out_at=timezone.now(), issued_to_customer_id=customer_id or "", issued_to_email=email or "",
    )
    coupon = CouponCode.objects.filter(**bank).first()
    if updated == 0 and coupon is None:
        return None
    return coupon


def pool_refill_to_set(*, pool: CodePool, refill_to: int) -> CodePool:
    """Have beat keep `refill_to` codes available in the pool (0 turns refilling off)."""
    CodePool.objects.filter(pk=pool.pk).update(refill_to=refill_to)
    pool.refill_to = refill_to
    return pool


def pool_refill(*, pool: CodePool, below: int | None = None, client: BigCommerceClient | None = None) -> int:
    """Once fewer than `below` (default: the pool's low_threshold) codes are available, mint back up to
    `refill_to` (0 = refill off); returns how many were minted (0 also when another refill is under way).

    One refill per pool at a time, by a short lease on the pool row (not a row lock: no transaction stays
    open across the BigCommerce calls), counting again before each batch, so concurrent refills (beat, a
    nudge after a hand-out, a reward that found the pool empty) never overfill it. Each batch is stored as
    it arrives, so a failure keeps the batches already generated.
    """
    if not pool.refill_to:
        return 0
    now = timezone.now()
    claimed = CodePool.objects.filter(pk=pool.pk).filter(
        Q(refilling_until__isnull=True) | Q(refilling_until__lt=now),
    ).update(refilling_until=now + REFILL_LEASE)
    if not claimed:
        return 0
    try:
        return _pool_top_up(pool=pool, below=below, client=client)
    finally:
        CodePool.objects.filter(pk=pool.pk).update(refilling_until=None)


def _pool_top_up(*, pool: CodePool, below: int | None, client: BigCommerceClient | None) -> int:
    pool = CodePool.objects.select_related("store", "template", "promotion").get(pk=pool.pk)
    below = pool.low_threshold if below is None else below
    minted = 0
    while True:
        available = pool_available(pool=pool).count()
        missing = pool.refill_to - available
        if (not minted and available >= below) or missing <= 0:
            return minted
        client = client or bigcommerce_for(pool.store)
        if not pool.promotion.bc_promotion_id:
            pool.promotion = promotion_remote_ensure(promotion=pool.promotion, client=client)
        made = pool_codegen_batch(pool=pool, size=missing, client=client)
        if not made:
            return minted
        minted += made


def pool_refill_under_way(*, pool: CodePool) -> bool:
    """True while another caller holds the pool's refill lease."""
    return CodePool.objects.filter(pk=pool.pk, refilling_until__gt=timezone.now()).exists()
