"""Loyalty tiers as BigCommerce customer groups: Friendbuy's customerUpdate webhook reports a member's tier
(memberTierDetails, friendbuy.md §3.3); where the merchant mapped that tier to a customer group the
customer is moved in, and out again when the tier drops (into the lower tier's group, or back to the group
they had before we first moved them). Each move is a TierGroupChange row (audit).

The webhook item only records the tier (under the membership's row lock, older reports ignored); the move
calls BigCommerce in its own task (referrals.tier_group_apply), so a BigCommerce outage retries it.
A customer the merchant moved by hand since our last move is left where they are.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from storefront.clients import bigcommerce_for
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit

from ..models import CustomerIdentity, TierGroupChange, TierGroupMapping, TierMembership


def tier_update_record(*, store: Store, item: dict) -> tuple[str, str]:
    """Record one customerUpdate item's tier; returns (natural key, note)."""
    customer_id = str(item.get("customerId") or "").strip()[:64]
    if not customer_id:
        return "", "No customerId"
    details = item.get("memberTierDetails") if isinstance(item.get("memberTierDetails"), dict) else {}
    tier_id = str(details.get("memberTierId") or "")[:64]
    updated = str(details.get("memberTierUpdatedOn") or item.get("updatedOn") or "")[:40]
    try:
        with transaction.atomic():
            TierMembership.objects.get_or_create(store=store, friendbuy_customer_id=customer_id)
    except IntegrityError:
        pass
    membership = TierMembership.objects.select_for_update().get(store=store, friendbuy_customer_id=customer_id)
    if updated and membership.tier_updated_at and updated < membership.tier_updated_at:
        return customer_id, "Older tier report ignored"
    membership.tier_id, membership.tier_updated_at = tier_id, updated
    membership.tier_name = str(details.get("memberTierNameCached") or "")[:255]
    membership.save(update_fields=["tier_id", "tier_name", "tier_updated_at", "updated_at"])
    task_enqueue_on_commit("referrals.tier_group_apply", membership.pk)
    return customer_id, f"Tier {membership.tier_name or tier_id or 'none'} recorded"


def _bc_customer_id(membership: TierMembership) -> int | None:
    identity = CustomerIdentity.objects.filter(store_id=membership.store_id,
                                               friendbuy_customer_id=membership.friendbuy_customer_id).first()
    if identity is not None:
        return identity.bc_customer_id
    return int(membership.friendbuy_customer_id) if membership.friendbuy_customer_id.isdigit() else None


@transaction.atomic
def tier_group_apply(*, membership_id: int) -> TierMembership:
    """Put the member in the group their tier maps to (or take them out of ours); audited."""
    membership = TierMembership.objects.select_for_update().select_related("store").get(pk=membership_id)
    customer_id = _bc_customer_id(membership)
    if customer_id is None:
        membership.reason = "Guest (no BigCommerce account): customer groups need one"
        membership.save(update_fields=["reason", "updated_at"])
        return membership
    mapping = TierGroupMapping.objects.filter(store=membership.store, tier_id=membership.tier_id).first() \
        if membership.tier_id else None
    client = bigcommerce_for(membership.store)
    customer = client.get_customer(customer_id)
    if customer is None:
        membership.reason = "Customer no longer exists in BigCommerce"
        membership.save(update_fields=["reason", "updated_at"])
        return membership
    current = int(customer.get("customer_group_id") or 0)
    if mapping is not None:
        target, why = mapping.customer_group_id, f"Tier {membership.tier_name or membership.tier_id}"
    elif membership.applied_group_id is not None and current == membership.applied_group_id:
        target, why = membership.group_before_id or 0, "Tier dropped to one without a group"
    else:
        target, why = current, ""
    if membership.applied_group_id is not None and current != membership.applied_group_id and mapping is None:
        membership.reason = "Moved by hand since our last move: left where they are"
    elif target != current:
        if membership.applied_group_id is None:
            membership.group_before_id = current
        client.set_customer_group(customer_id, target)
        TierGroupChange.objects.create(store=membership.store, membership=membership, bc_customer_id=customer_id,
                                       tier_id=membership.tier_id, from_group_id=current, to_group_id=target,
                                       reason=why)
        membership.reason = why
    membership.applied_group_id = target if mapping is not None else None
    membership.save(update_fields=["applied_group_id", "group_before_id", "reason", "updated_at"])
    return membership


def customer_groups_for(*, store: Store) -> list[dict]:
    """The store's customer groups as BigCommerce lists them ({id, name}), for the mapping form."""
    return [{"id": int(g["id"]), "name": str(g.get("name") or "")}
            for g in bigcommerce_for(store).iter_customer_groups()]


def tiers_seen(*, store: Store) -> list[dict]:
    """Tiers Friendbuy has reported for this store's members ({tier_id, tier_name}), for the mapping form."""
    rows = (TierMembership.objects.filter(store=store).exclude(tier_id="")
            .values("tier_id", "tier_name").distinct().order_by("tier_name"))
    return list(rows)


def tier_mapping_set(*, store: Store, tier_id: str, tier_name: str, customer_group_id: int | None) -> None:
    """Map a tier to a customer group (None removes the mapping); members are re-applied on their next report."""
    if customer_group_id is None:
        TierGroupMapping.objects.filter(store=store, tier_id=tier_id).delete()
        return
    TierGroupMapping.objects.update_or_create(store=store, tier_id=tier_id[:64], defaults={
        "tier_name": tier_name[:255], "customer_group_id": customer_group_id})


def tier_for_shopper(*, store: Store, customer_id: int | str) -> dict:
    """The shopper's loyalty tier as Friendbuy last reported it ({id, name}; empty when none), for the widget."""
    membership = TierMembership.objects.filter(store=store, friendbuy_customer_id=str(customer_id)).first()
    return {"id": membership.tier_id, "name": membership.tier_name} if membership else {"id": "", "name": ""}
