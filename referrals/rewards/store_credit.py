"""Store credit in BigCommerce, exactly once: a local ledger per customer and a read-add-write under a lease.

BigCommerce holds a customer's store credit as one whole value (customers.v3 `store_credit_amounts`):
a PUT replaces it, there is no increment and no idempotency key, and the shopper's checkout lowers it at
any moment. So a deposit (or removal) is a StoreCreditEntry, unique per store and natural key, applied in
these steps, each one a point a crash may hit (`on_step` names them for the crash tests):

    locked     the account's lease is ours (one writer per customer: our own deposits never race)
    settled    any entry of the account still WRITING (a crash, a lost answer) is settled first
    read       BigCommerce's balance, read under the lease just before writing (a spend that happened is in it)
    intent     committed: entry WRITING with balance_before, balance_after and intent_at
    written    BigCommerce answered the PUT of balance_after
    committed  entry APPLIED, the account's balance remembered

A crash (or a timeout) after `intent` leaves the entry WRITING. Nothing repeats the PUT blindly: the next
attempt's recovery check reads BigCommerce's balance and the customer's orders since the intent that
spent credit (spent), then

    balance == balance_after - spent   → the write landed: APPLIED, never written again
    balance == balance_before - spent  → it never landed: back to PENDING, read and written afresh
    anything else                      → HELD with the numbers (a merchant edit, a refund to credit):
                                         staff decide; money is never deposited twice on a guess.

A removal never takes the balance below zero: it removes what is left and records the rest as its
shortfall (the reward's clawback). The one window this cannot close is BigCommerce's own: a checkout that
spends credit between our read and our PUT (one round trip under the lease) is overwritten, since the API
offers no compare-and-set; README says so.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from referrals.models import Reward, StoreCreditAccount, StoreCreditEntry
from storefront.bigcommerce import BigCommerceClient, BigCommerceError, parse_money
from storefront.clients import bigcommerce_for
from storefront.models import Store

E = StoreCreditEntry.State
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Longer than the transport's worst case for the GET + PUT (timeouts and safe retries), so a live holder
# keeps it; a crashed holder's lease simply runs out.
LEASE = timedelta(minutes=2)
# BigCommerce's order dates have whole seconds: orders from the second before the intent count as spent
# after it (a spend that was already in balance_before then makes the check HOLD, never write twice).
SPEND_MARGIN = timedelta(seconds=1)

def on_step(step: str) -> None:
    """Each named step of store_credit_apply (the crash tests replace this to stop the process there)."""


class StoreCreditBusy(Exception):
    """Another worker holds this customer's lease: try again shortly."""


class LeaseLost(Exception):
    """Our lease ran out and another worker took it: stop before writing anything."""


@dataclass(frozen=True)
class Settlement:
    outcome: str  # "landed", "not_landed", "held"
    balance: Decimal
    spent: Decimal


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


# --- entries --------------------------------------------------------------------------------------------


def store_credit_entry_open(*, store: Store, bc_customer_id: int, kind: str, amount: Decimal, key: str,
                            reward: Reward | None = None) -> StoreCreditEntry:
    """The entry for `key` (created once; a second call returns the first)."""
    account = _account(store=store, bc_customer_id=bc_customer_id)
    existing = StoreCreditEntry.objects.filter(store=store, key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return StoreCreditEntry.objects.create(store=store, account=account, reward=reward, key=key[:160],
                                                   kind=kind, amount=_money(amount))
    except IntegrityError:
        return StoreCreditEntry.objects.get(store=store, key=key)


def store_credit_entry_cancel(*, entry: StoreCreditEntry, reason: str) -> StoreCreditEntry:
    """Cancel an entry that was never written (only PENDING; under the lease like every change)."""
    token = _lease_take(entry.account)
    try:
        _settle_writing(account=entry.account, token=token)
        StoreCreditEntry.objects.filter(pk=entry.pk, state=E.PENDING).update(state=E.CANCELLED, detail=reason)
    finally:
        _lease_release(entry.account, token)
    entry.refresh_from_db()
    return entry


def _account(*, store: Store, bc_customer_id: int) -> StoreCreditAccount:
    try:
        with transaction.atomic():
            account, _ = StoreCreditAccount.objects.get_or_create(store=store, bc_customer_id=bc_customer_id)
    except IntegrityError:
        account = StoreCreditAccount.objects.get(store=store, bc_customer_id=bc_customer_id)
    return account


# --- the lease (the per-customer lock) --------------------------------------------------------------------


def _lease_take(account: StoreCreditAccount) -> str:
    now, token = timezone.now(), secrets.token_hex(16)
    taken = StoreCreditAccount.objects.filter(pk=account.pk).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    ).update(lock_token=token, locked_until=now + LEASE)
    if not taken:
        raise StoreCreditBusy(f"Store credit of customer {account.bc_customer_id} is being written by another worker")
    return token


def _lease_check(account_id: int, token: str) -> StoreCreditAccount:
    """Inside a transaction: the account row locked, and still leased to us (else LeaseLost)."""
    account = StoreCreditAccount.objects.select_for_update().get(pk=account_id)
    if account.lock_token != token or account.locked_until is None or account.locked_until < timezone.now():
        raise LeaseLost(f"Lease on the store credit of customer {account.bc_customer_id} was lost")
    return account


def _lease_release(account: StoreCreditAccount, token: str) -> None:
    StoreCreditAccount.objects.filter(pk=account.pk, lock_token=token).update(lock_token="", locked_until=None)


# --- applying ---------------------------------------------------------------------------------------------


def store_credit_apply(*, entry_id: int, client: BigCommerceClient | None = None) -> StoreCreditEntry:
    """Apply one entry exactly once (see the module docstring). Returns it APPLIED, HELD or CANCELLED;
    raises StoreCreditBusy (another worker has the lease) or a BigCommerceError (nothing or an unknown
    outcome written: the next attempt settles it)."""
    entry = StoreCreditEntry.objects.select_related("account", "store").get(pk=entry_id)
    if entry.state in (E.APPLIED, E.HELD, E.CANCELLED):
        return entry
    account = entry.account
    client = client or bigcommerce_for(entry.store)
    token = _lease_take(account)
    released = False
    try:
        on_step("locked")
        if _settle_writing(account=account, token=token, client=client):
            entry.refresh_from_db()
        on_step("settled")
        if entry.state != E.PENDING:
            return entry
        amounts = client.get_store_credit(account.bc_customer_id)
        if amounts is None:
            StoreCreditEntry.objects.filter(pk=entry.pk).update(
                state=E.HELD, detail="The customer no longer exists in BigCommerce")
            entry.refresh_from_db()
            return entry
        before = _money(sum(amounts, ZERO))
        on_step("read")
        if entry.kind == StoreCreditEntry.Kind.DEPOSIT:
            moved, shortfall = entry.amount, ZERO
            after = before + moved
        else:
            moved = min(entry.amount, before)
            shortfall, after = entry.amount - moved, before - moved
        with transaction.atomic():
            _lease_check(account.pk, token)
            StoreCreditEntry.objects.filter(pk=entry.pk).update(
                state=E.WRITING, balance_before=before, balance_after=after, applied_amount=moved,
                shortfall=shortfall, intent_at=timezone.now(), attempts=entry.attempts + 1)
        on_step("intent")
        if moved:
            try:
                client.set_store_credit(account.bc_customer_id, [after])
            except BigCommerceError as exc:
                if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                    # Refused: nothing was written, so the entry may be tried again from a fresh read.
                    StoreCreditEntry.objects.filter(pk=entry.pk).update(state=E.PENDING, detail=str(exc)[:2000])
                raise
        on_step("written")
        applied_at = timezone.now()
        with transaction.atomic():
            locked = _lease_check(account.pk, token)
            StoreCreditEntry.objects.filter(pk=entry.pk).update(state=E.APPLIED, applied_at=applied_at)
            # The lease goes in the same commit (one round trip fewer than a separate release).
            locked.balance, locked.synced_at, locked.lock_token, locked.locked_until = after, applied_at, "", None
            locked.save(update_fields=["balance", "synced_at", "lock_token", "locked_until"])
        released = True
        on_step("committed")
    finally:
        if not released:
            _lease_release(account, token)
    entry.state, entry.applied_at = E.APPLIED, applied_at
    entry.balance_before, entry.balance_after, entry.applied_amount, entry.shortfall = before, after, moved, shortfall
    return entry


def _settle_writing(*, account: StoreCreditAccount, token: str, client: BigCommerceClient | None = None) -> int:
    """The recovery check for every WRITING entry of the account, before anything else is written.
    Returns how many it settled."""
    writing_entries = list(StoreCreditEntry.objects.filter(account=account, state=E.WRITING).order_by("intent_at", "id"))
    for writing in writing_entries:
        client = client or bigcommerce_for(account.store)
        settlement = store_credit_recovery_check(entry=writing, client=client)
        with transaction.atomic():
            locked = _lease_check(account.pk, token)
            detail = (f"Recovery check: BigCommerce shows {settlement.balance}, {settlement.spent} spent at "
                      f"checkout since the intent; before {writing.balance_before}, after {writing.balance_after}")
            if settlement.outcome == "landed":
                StoreCreditEntry.objects.filter(pk=writing.pk).update(
                    state=E.APPLIED, applied_at=timezone.now(), detail=f"{detail}: the write had landed")
                locked.balance, locked.synced_at = settlement.balance, timezone.now()
                locked.save(update_fields=["balance", "synced_at"])
            elif settlement.outcome == "not_landed":
                StoreCreditEntry.objects.filter(pk=writing.pk).update(
                    state=E.PENDING, detail=f"{detail}: the write never landed (written again)")
            else:
                StoreCreditEntry.objects.filter(pk=writing.pk).update(
                    state=E.HELD, detail=f"{detail}: neither outcome explains it, held for staff")
    return len(writing_entries)


def store_credit_recovery_check(*, entry: StoreCreditEntry, client: BigCommerceClient) -> Settlement:
    """Did the write of a WRITING entry land? Compare BigCommerce's balance with the ledger's two
    possible outcomes, less what the customer's orders spent in credit since the intent."""
    customer_id = entry.account.bc_customer_id
    amounts = client.get_store_credit(customer_id)
    balance = _money(sum(amounts or [], ZERO))
    since = (entry.intent_at or timezone.now()) - SPEND_MARGIN
    spent = _money(sum((parse_money(order.get("store_credit_amount"))
                        for order in client.iter_orders(customer_id=customer_id, min_date_created=since)), ZERO))
    if amounts is None:
        return Settlement("held", balance, spent)
    if entry.balance_after == entry.balance_before:
        return Settlement("landed", balance, spent)  # nothing was to be written (a removal from zero)
    if balance == entry.balance_after - spent:
        return Settlement("landed", balance, spent)
    if balance == entry.balance_before - spent:
        return Settlement("not_landed", balance, spent)
    return Settlement("held", balance, spent)


def store_credit_entry_resolve(*, entry: StoreCreditEntry, landed: bool, note: str) -> StoreCreditEntry:
    """Staff settle a HELD entry after looking at BigCommerce: it landed (APPLIED) or it did not (PENDING,
    written again by the next attempt)."""
    StoreCreditEntry.objects.filter(pk=entry.pk, state=E.HELD).update(
        state=E.APPLIED if landed else E.PENDING, applied_at=timezone.now() if landed else None,
        detail=f"{entry.detail}\nResolved by staff: {note}".strip())
    entry.refresh_from_db()
    return entry
