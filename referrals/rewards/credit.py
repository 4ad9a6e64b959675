"""Credit and gift card rewards: which rewards they are, delivering them, and taking them back.

A Friendbuy reward whose rewardType the store lists as credit (default "credit"; a merchant whose loyalty
redemptions are configured as credit adds e.g. "ledger") is deposited as BigCommerce store credit on the
registered customer it belongs to: the BigCommerce id Friendbuy echoes as customerId (our identity
mapping sends it), else the one account with the reward's email. A guest has no account to credit: per
the store's setting they get a gift certificate for the amount, or the reward waits (the reason shown)
and is deposited once they register (the pending-rewards sweep looks again at most hourly). A giftCard
reward, or credit when the merchant chose so, becomes a gift certificate (referrals.rewards.gift_certificates).

The reward state machine stays in the rewards services: they call `reward_fulfil` / `reward_fulfilment_reverse`
and make the transition from what these return.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.models import CreditSettings, Reward, RewardFulfilment, StoreCreditEntry
from referrals.rewards.gift_certificates import (
    CertificateRefused,
    gift_certificate_code,
    gift_certificate_disable,
    gift_certificate_expiry,
    gift_certificate_issue,
)
from referrals.rewards.store_credit import (
    store_credit_apply,
    store_credit_entry_cancel,
    store_credit_entry_open,
)
from storefront.bigcommerce import BigCommerceClient
from storefront.clients import bigcommerce_for
from storefront.models import Store

F = RewardFulfilment.State
K = RewardFulfilment.Kind
WAITING_RECHECK = timedelta(hours=1)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    reason: str


@dataclass(frozen=True)
class Reversal:
    reversed_amount: Decimal
    clawback: Decimal
    summary: str
    held: bool = False  # the removal is held for staff (see StoreCreditEntry.HELD): no transition yet


def credit_settings_for(*, store: Store) -> CreditSettings:
    """The store's settings, or the defaults (unsaved) while it has none."""
    return CreditSettings.objects.filter(store=store).first() or CreditSettings(store=store)


def fulfilment_kind_for(*, reward: Reward, config: CreditSettings | None = None) -> str | None:
    """store_credit, gift_certificate, or None when the reward is not one of these (a coupon, cash…)."""
    config = config or credit_settings_for(store=reward.store)
    if reward.reward_type in (config.gift_card_reward_types or []):
        return K.GIFT_CERTIFICATE
    if reward.reward_type in (config.credit_reward_types or []):
        return K.GIFT_CERTIFICATE if config.credit_as == CreditSettings.CreditAs.GIFT_CERTIFICATE else K.STORE_CREDIT
    return None


def _fulfilment(*, reward: Reward, kind: str) -> RewardFulfilment:
    existing = RewardFulfilment.objects.filter(reward=reward).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return RewardFulfilment.objects.create(store=reward.store, reward=reward, kind=kind, amount=reward.amount,
                                                   currency=reward.currency, email=reward.email)
    except IntegrityError:
        return RewardFulfilment.objects.get(reward=reward)


def _save(fulfilment: RewardFulfilment, **fields) -> RewardFulfilment:
    for name, value in fields.items():
        setattr(fulfilment, name, value)
    fulfilment.save(update_fields=[*fields, "updated_at"])
    return fulfilment


def _registered_customer(*, reward: Reward, client: BigCommerceClient) -> int | None:
    """The BigCommerce customer the reward belongs to, or None for a guest."""
    if reward.customer_id.isdigit() and client.get_customer(int(reward.customer_id)) is not None:
        return int(reward.customer_id)
    if reward.email:
        found = client.find_customers_by_email(reward.email)
        if len(found) == 1:
            return int(found[0]["id"])
    return None


def reward_fulfil(*, reward: Reward, client: BigCommerceClient | None = None) -> Delivery:
    """Deliver a credit or gift card reward once. Raises StoreCreditBusy or retryable BigCommerceErrors
    (the reward task retries; the pending-rewards sweep is the backstop)."""
    store = reward.store
    config = credit_settings_for(store=store)
    kind = fulfilment_kind_for(reward=reward, config=config)
    fulfilment = _fulfilment(reward=reward, kind=kind)
    if fulfilment.state == F.DELIVERED:
        return Delivery(True, _delivered_reason(fulfilment))
    if fulfilment.state in (F.REVERSED, F.FAILED):
        return Delivery(False, fulfilment.reason)
    if (fulfilment.state == F.WAITING and fulfilment.checked_at
            and fulfilment.checked_at > timezone.now() - WAITING_RECHECK):
        return Delivery(False, fulfilment.reason)
    if not reward.currency:
        _save(fulfilment, state=F.FAILED, reason=f"A {reward.reward_type} reward needs an amount in a currency; "
                                                 f"Friendbuy sent the unit {reward.unit!r}")
        return Delivery(False, fulfilment.reason)
    client = client or bigcommerce_for(store)
    if fulfilment.kind == K.STORE_CREDIT:
        if reward.currency != store.default_currency:
            _save(fulfilment, state=F.FAILED, reason=f"Store credit is in the store's currency "
                                                     f"{store.default_currency}; the reward is in {reward.currency}")
            return Delivery(False, fulfilment.reason)
        entry = StoreCreditEntry.objects.filter(store=store, key=_deposit_key(reward)).first()
        customer_id = entry.account.bc_customer_id if entry else _registered_customer(reward=reward, client=client)
        if customer_id is None:
            if config.guest_credit == CreditSettings.GuestCredit.WAIT:
                _save(fulfilment, state=F.WAITING, checked_at=timezone.now(),
                      reason=f"No BigCommerce account for {reward.email or 'this shopper'} (guest checkout): store "
                             "credit needs one; deposited once they register")
                return Delivery(False, fulfilment.reason)
            _save(fulfilment, kind=K.GIFT_CERTIFICATE,
                  reason=f"No BigCommerce account for {reward.email} (guest): a gift certificate instead of store credit")
        else:
            return _deposit(fulfilment=fulfilment, reward=reward, customer_id=customer_id, client=client)
    return _certificate(fulfilment=fulfilment, reward=reward, config=config, client=client)


def _deposit_key(reward: Reward) -> str:
    return f"reward:{reward.friendbuy_reward_id}:deposit"


def _deposit(*, fulfilment: RewardFulfilment, reward: Reward, customer_id: int, client) -> Delivery:
    _save(fulfilment, state=F.DELIVERING, bc_customer_id=customer_id)
    entry = store_credit_entry_open(store=reward.store, bc_customer_id=customer_id, reward=reward,
                                    kind=StoreCreditEntry.Kind.DEPOSIT, amount=reward.amount, key=_deposit_key(reward))
    entry = store_credit_apply(entry_id=entry.pk, client=client)
    if entry.state == StoreCreditEntry.State.APPLIED:
        _save(fulfilment, state=F.DELIVERED, reason="")
        return Delivery(True, _delivered_reason(fulfilment))
    _save(fulfilment, state=F.FAILED, reason=f"Store credit deposit {entry.get_state_display().lower()}: {entry.detail}")
    return Delivery(False, fulfilment.reason)


def _certificate(*, fulfilment: RewardFulfilment, reward: Reward, config: CreditSettings, client) -> Delivery:
    if not fulfilment.gift_certificate_code:
        # Fixed and committed before the POST, so every retry asks BigCommerce for the same code.
        _save(fulfilment, gift_certificate_code=gift_certificate_code(store=reward.store, reward=reward),
              expires_at=gift_certificate_expiry(config=config), state=F.DELIVERING)
    try:
        found = gift_certificate_issue(fulfilment=fulfilment, config=config, client=client)
    except CertificateRefused as exc:
        _save(fulfilment, state=F.FAILED, reason=str(exc))
        return Delivery(False, fulfilment.reason)
    _save(fulfilment, state=F.DELIVERED, gift_certificate_id=int(found["id"]))
    return Delivery(True, _delivered_reason(fulfilment))


def _delivered_reason(fulfilment: RewardFulfilment) -> str:
    if fulfilment.kind == K.STORE_CREDIT:
        return f"Deposited {fulfilment.amount} {fulfilment.currency} as store credit on customer {fulfilment.bc_customer_id}"
    return (f"Gift certificate {fulfilment.gift_certificate_code} for {fulfilment.amount} {fulfilment.currency} "
            f"to {fulfilment.email}" + (f" ({fulfilment.reason})" if fulfilment.reason else ""))


def reward_fulfilment_reverse(*, reward: Reward, reason: str,
                              client: BigCommerceClient | None = None) -> Reversal | None:
    """Take back a credit or gift card reward (its order was refunded or cancelled); None when the reward
    has no fulfilment (a coupon). Credit is removed up to what is left (never below zero); an unspent
    certificate is disabled; what was already spent is recorded as the clawback."""
    fulfilment = RewardFulfilment.objects.filter(reward=reward).select_related("store").first()
    if fulfilment is None:
        return None
    if fulfilment.state == F.REVERSED:
        return Reversal(fulfilment.reversed_amount, fulfilment.clawback_amount, "already reversed")
    client = client or bigcommerce_for(fulfilment.store)
    config = credit_settings_for(store=fulfilment.store)
    if fulfilment.kind == K.STORE_CREDIT:
        deposit = StoreCreditEntry.objects.filter(store=fulfilment.store, key=_deposit_key(reward)).first()
        if deposit is not None and deposit.state in (StoreCreditEntry.State.PENDING, StoreCreditEntry.State.WRITING):
            deposit = store_credit_entry_cancel(entry=deposit, reason=reason)
        if deposit is None or deposit.state != StoreCreditEntry.State.APPLIED:
            _save(fulfilment, state=F.REVERSED, reason=f"{reason}: never deposited")
            return Reversal(Decimal("0.00"), Decimal("0.00"), "no store credit had been deposited")
        removal = store_credit_entry_open(store=fulfilment.store, bc_customer_id=deposit.account.bc_customer_id,
                                          reward=reward, kind=StoreCreditEntry.Kind.REMOVAL, amount=deposit.amount,
                                          key=f"reward:{reward.friendbuy_reward_id}:removal")
        removal = store_credit_apply(entry_id=removal.pk, client=client)
        if removal.state != StoreCreditEntry.State.APPLIED:
            _save(fulfilment, reason=f"Removal {removal.get_state_display().lower()}: {removal.detail}")
            return Reversal(Decimal("0.00"), Decimal("0.00"), fulfilment.reason, held=True)
        reversed_amount, clawback = removal.applied_amount or Decimal("0.00"), removal.shortfall
        summary = f"removed {reversed_amount} {fulfilment.currency} of store credit"
    else:
        if fulfilment.gift_certificate_id is None:
            _save(fulfilment, state=F.REVERSED, reason=f"{reason}: no certificate had been created")
            return Reversal(Decimal("0.00"), Decimal("0.00"), "no gift certificate had been created")
        outcome = gift_certificate_disable(fulfilment=fulfilment, config=config, client=client)
        reversed_amount, clawback = outcome.disabled, outcome.spent
        summary = f"gift certificate {fulfilment.gift_certificate_code} disabled ({reversed_amount} unspent)"
    if clawback:
        summary += f"; {clawback} {fulfilment.currency} already spent, recorded as a clawback"
    _save(fulfilment, state=F.REVERSED, reversed_amount=reversed_amount, clawback_amount=clawback,
          reason=f"{reason}: {summary}")
    return Reversal(reversed_amount, clawback, summary)
