"""Privacy: where a shopper's personal data lives here, and erasing it (command, webhook, admin action).

Inventory of personal data (email, names, IP, postal address, phone, user agent, device id), by table:

==============================  =====================================================================
``referrals.CustomerIdentity``  email, normalized_email, first_name, last_name
``referrals.OrderSnapshot``     email, normalized_email, billing_first_name/last_name, ip_address,
                                user_agent, shipping_addresses (names, street, city, zip, phone, email)
``referrals.OutboxEvent``       payload (email, firstName, lastName, ipAddress, userAgent,
                                additionalProperties.deviceId / emailNormalizedHash), last_response
``referrals.AttributionCapture`` email, ip_address, user_agent, device_id
``referrals.OrderAttributionLink`` ip_address, user_agent, device_id
``referrals.ShopperIdentification`` email
``referrals.Reward``            email, advocate_email, friend_email, raw (the Friendbuy reward)
``referrals.FriendCode``        friend_email, advocate_email
``referrals.EmailOptOut``       email (the opt-out row is deleted)
``referrals.ValidationCallback`` advocate_email
``referrals.LoyaltyEvent``      email, properties
``referrals.FriendbuyDelivery`` body (Friendbuy webhooks name advocates and friends), headers
``referrals.FriendbuyWebhookItem`` data
``referrals.StaffAuditLog``     target, detail, reason (what support searched for and did)
``storefront.OutboundCall``     path (query strings such as ``email:in=``), request_body (purchases,
                                sign-ups, profiles), response_body (orders with billing and shipping
                                addresses, customers), error
``storefront.WebhookDelivery``  body, error, traceback (BigCommerce bodies carry ids only)
``coupons.CouponCode``          issued_to_email
``coupons.Redemption``          email
``coupons.RedemptionAnomaly``   evidence
``fraud.Signal``                value of ip / device / email signals (raw), display (masked email,
                                IP, address text); the other kinds are hashes or codes
``fraud.Assessment``            signals, parties (friend, advocate, code owner), hits (evidence), note
``fraud.FraudDailySummary``     top_ips, top_devices
==============================  =====================================================================

Not a shopper's data, kept: the merchant's own users (``Store.owner_email``, ``StoreUser.email``), and
the merchant's fraud block list (``fraud.BlockListEntry``), a deliberate record the merchant keeps to
refuse a known fraudster, which erasing on the fraudster's request would defeat. The admin's own log
(``admin.LogEntry``) names objects by id (``Customer guest-…``, ``Order 123``), not by personal data.

`customer_erase` covers all of it: the columns above are blanked where they are the shopper's; fraud
signals and assessments are anonymised, keeping hashes for matching (fraud.services); then every text
and JSON column of every table of the store (found by introspection, so a table added later is covered;
only this store's rows, directly or through a parent row: another merchant's data is theirs)
is swept for the values found (emails in their encodings, IPs, user agents, device ids, street lines,
phones, and names within the rows that are the shopper's) and redacted in place. Order totals, statuses
and counts stay, so reports keep adding up. Friendbuy is asked to delete its copy (outbox, kind erasure);
that request names the email, which its call log row does not keep.

A `store/customer/deleted` webhook erases only once BigCommerce confirms the customer is gone
(`customer_deletion_confirm`): the webhook secret authenticates the sender, not the fact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from fraud.normalise import mask_email
from fraud.services import fraud_subject_anonymise
from referrals.models import (
    CustomerIdentity,
    EmailOptOut,
    FriendbuyChannelConnection,
    FriendbuyConnection,
    OrderSnapshot,
    OutboxEvent,
)
from referrals.models.attribution import AttributionCapture, OrderAttributionLink, ShopperIdentification
from referrals.orders import selectors
from referrals.orders.identity import PLUS_TAG_DOMAINS, friendbuy_customer_id, normalize_email
from referrals.outbox import outbox_enqueue, outbox_scrub_personal_data
from storefront.bigcommerce import BigCommerceError, BigCommerceNotFound
from storefront.clients import bigcommerce_for
from storefront.fields import EncryptedTextField
from storefront.models import OutboundCall, Store
from storefront.webhooks.handlers import DeliveryRejected, DeliveryRetryLater

logger = logging.getLogger(__name__)

ERASED = "[erased]"
# Tables swept that are not a shopper's data (see the module docstring), or not editable in place.
NOT_SWEPT = {"storefront.Store", "storefront.StoreUser", "referrals.FriendbuyConnection",
             "referrals.FriendbuyChannelConnection",
             "fraud.BlockListEntry", "sessions.Session", "auth.User", "auth.Group", "auth.Permission",
             "contenttypes.ContentType"}
NOT_SWEPT_APPS = ("sandbox", "django_celery_beat")
# Keys of stored documents whose value is a name, erased when it is one of the shopper's names.
_ADDRESS_KEYS = ("street_1", "street_2", "address1", "address2", "phone")


# --- the deletion webhook -----------------------------------------------------------------------


def customer_deletion_confirm(*, store: Store, customer_id: int) -> None:
    """Return only when BigCommerce says the customer is gone; else raise what the delivery becomes.

    GET /v3/customers?id:in=N answers 200 with empty `data` for an id it doesn't have (v3 has no
    single-customer GET; a 404 there means the same). A customer still there: DeliveryRejected, nothing
    erased. BigCommerce unreachable or refusing: DeliveryRetryLater, never erase on doubt.
    """
    try:
        customer = bigcommerce_for(store).get_customer(customer_id)
    except BigCommerceNotFound:
        return
    except BigCommerceError as exc:
        raise DeliveryRetryLater(
            f"BigCommerce could not confirm that customer {customer_id} was deleted ({exc}); nothing erased yet."
        ) from exc
    if customer is not None:
        raise DeliveryRejected(
            f"BigCommerce still has customer {customer_id}: the deletion was not confirmed at the source, "
            "so nothing was erased."
        )


# --- erasure ------------------------------------------------------------------------------------


def _subject_key(customer_id: str, email: str) -> str:
    # By the address as typed (lower case), not the mailbox: Friendbuy matches the address it was given,
    # so each alias is its own request.
    return hashlib.sha256(f"{customer_id}|{email.strip().lower()}".encode()).hexdigest()[:24]


@dataclass
class _Subject:
    """What identifies one shopper in our data, gathered from every place that holds it."""

    emails: set[str] = field(default_factory=set)
    customer_keys: set[str] = field(default_factory=set)
    bc_customer_ids: set[int] = field(default_factory=set)
    order_ids: set[int] = field(default_factory=set)
    snapshot_pks: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    ips: set[str] = field(default_factory=set)
    user_agents: set[str] = field(default_factory=set)
    device_ids: set[str] = field(default_factory=set)
    address_lines: set[str] = field(default_factory=set)

    def add_address(self, address: object) -> None:
        if not isinstance(address, dict):
            return
        self.names |= {str(address.get(k) or "").strip() for k in ("first_name", "last_name")}
        self.address_lines |= {str(address.get(k) or "").strip() for k in _ADDRESS_KEYS}
        if address.get("email"):
            self.emails.add(str(address["email"]).strip())

    @property
    def normalized_emails(self) -> set[str]:
        return {normalize_email(email) for email in self.emails if email}

    def distinctive(self) -> set[str]:
        """Values that single the shopper out wherever they appear, in the encodings they travel in."""
        emails = {e for e in self.emails | self.normalized_emails if e}
        encoded = {form for e in emails for form in (quote(e, safe=""), quote_plus(e, safe=""), quote(e))}
        values = emails | encoded | self.user_agents | self.device_ids | self.address_lines
        return {v for v in values if len(v) >= 4}


def _gather(store: Store, *, bc_customer_id: int | None, email: str | None) -> tuple[_Subject, list]:
    subject = _Subject()
    if email:
        subject.emails.add(email.strip())
    identities = list(selectors.identities_matching(
        store=store, bc_customer_id=bc_customer_id, normalized_email=normalize_email(email)))
    subject.emails |= {i.email for i in identities if i.email}
    subject.customer_keys |= {i.friendbuy_customer_id for i in identities}
    subject.bc_customer_ids |= {i.bc_customer_id for i in identities if i.bc_customer_id}
    if bc_customer_id:
        subject.bc_customer_ids.add(bc_customer_id)
    subject.names |= {n for i in identities for n in (i.first_name, i.last_name)}
    orders = OrderSnapshot.objects.filter(store=store)
    match = Q(identity__in=identities)
    if subject.bc_customer_ids:
        match |= Q(customer_id__in=subject.bc_customer_ids)
    if subject.normalized_emails:
        match |= Q(normalized_email__in=subject.normalized_emails)
    for order in orders.filter(match):
        subject.snapshot_pks.add(order.pk)
        subject.order_ids.add(order.bc_order_id)
        subject.emails.add(order.email)
        subject.names |= {order.billing_first_name, order.billing_last_name}
        subject.ips.add(order.ip_address)
        subject.user_agents.add(order.user_agent)
        for address in order.shipping_addresses or []:
            subject.add_address(address)
    # The billing address is only in the re-fetched documents of the call log.
    for body in _order_documents(store, subject.order_ids):
        for document in body if isinstance(body, list) else [body]:
            if isinstance(document, dict):
                subject.add_address(document.get("billing_address"))
                subject.ips.add(str(document.get("ip_address") or ""))
                for address in document.get("shipping_addresses") or []:
                    subject.add_address(address)
    captures = AttributionCapture.objects.filter(store=store).filter(
        Q(email__in=subject.emails - {""}) | Q(bc_customer_id__in=subject.bc_customer_ids)
        | Q(pk__in=OrderAttributionLink.objects.filter(store=store, bc_order_id__in=subject.order_ids)
            .values("capture_id"))
    )
    for capture in captures:
        subject.ips.add(capture.ip_address or "")
        subject.user_agents.add(capture.user_agent)
        subject.device_ids.add(capture.device_id)
    for link in OrderAttributionLink.objects.filter(store=store, bc_order_id__in=subject.order_ids):
        subject.ips.add(link.ip_address or "")
        subject.user_agents.add(link.user_agent)
        subject.device_ids.add(link.device_id)
    for payload in OutboxEvent.objects.filter(store=store).filter(
        Q(identity__in=identities) | Q(order__in=subject.snapshot_pks)
    ).exclude(kind=OutboxEvent.Kind.ERASURE).values_list("payload", flat=True):
        if isinstance(payload, dict):
            subject.ips.add(str(payload.get("ipAddress") or ""))
            subject.user_agents.add(str(payload.get("userAgent") or ""))
            extra = payload.get("additionalProperties")
            if isinstance(extra, dict):
                subject.device_ids.add(str(extra.get("deviceId") or ""))
    subject.emails |= _email_aliases(store, subject.normalized_emails)
    for email_value in list(subject.emails):
        subject.customer_keys.add(
            friendbuy_customer_id(store_hash=store.store_hash, bc_customer_id=None, email=email_value))
    subject.customer_keys |= {str(cid) for cid in subject.bc_customer_ids}
    for values in (subject.emails, subject.names, subject.ips, subject.user_agents, subject.device_ids,
                   subject.address_lines, subject.customer_keys):
        values.discard("")
    return subject, identities


def _alias_pattern(normalized: str) -> str:
    """A regex for every address that normalises to `normalized` (identity.normalize_email, reversed)."""
    local, _, domain = normalized.rpartition("@")
    if domain == "gmail.com":
        body = r"\.*".join(re.escape(char) for char in local)
        return rf"^\.*{body}\.*(\+[^@]*)?@(gmail|googlemail)\.com$"
    plus = r"(\+[^@]*)?" if domain in PLUS_TAG_DOMAINS else ""
    return rf"^{re.escape(local)}{plus}@{re.escape(domain)}$"


def _email_aliases(store: Store, normalized_emails: set[str]) -> set[str]:
    """The addresses as typed anywhere in the store's email columns that are one of these mailboxes
    (a Gmail alias with dots or a +tag, in a Friendbuy capture or reward the shopper never linked)."""
    patterns = [_alias_pattern(n) for n in normalized_emails if "@" in n]
    if not patterns:
        return set()
    found: set[str] = set()
    for model, fields, store_path in _swept_models():
        for column in fields:
            if "email" not in column.name or not isinstance(column, models.CharField):
                continue
            match = Q()
            for pattern in patterns:
                match |= Q(**{f"{column.name}__iregex": pattern})
            found |= set(model._default_manager.filter(**{store_path: store}).filter(match)
                         .values_list(column.name, flat=True).distinct())
    return {email for email in found if normalize_email(email) in normalized_emails}


def _order_path(order_id: int) -> str:
    return rf"/orders/{order_id}([/?]|$)"


def _order_documents(store: Store, order_ids: set[int]) -> Iterable:
    if not order_ids:
        return []
    match = Q()
    for order_id in order_ids:
        match |= Q(path__regex=_order_path(order_id))
    return OutboundCall.objects.filter(store=store).filter(match).values_list("response_body", flat=True)


class _Eraser:
    """Redacts one shopper's values in place in any string or JSON document."""

    def __init__(self, subject: _Subject):
        distinctive = sorted(subject.distinctive(), key=len, reverse=True)
        self.exact = {v.lower() for v in (*distinctive, *subject.ips, *subject.names)}
        parts = [re.escape(v) for v in distinctive]
        parts += [rf"(?<![\d.]){re.escape(ip)}(?![\d.])" for ip in sorted(subject.ips, key=len, reverse=True)]
        self.values = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        # Within the rows that are the shopper's only: names, and the masked emails of fraud evidence
        # ("zeno…@gmail.com"), which alone could be someone else's.
        within = {*subject.names, *(mask_email(e) for e in subject.emails)}
        within_parts = [re.escape(n) for n in sorted(within, key=len, reverse=True) if len(n) >= 2]
        self.names = re.compile(rf"\b(?:{'|'.join(within_parts)})\b") if within_parts else None

    def text(self, value: str, *, whole_row_is_theirs: bool) -> str:
        if value.strip().lower() in self.exact:
            return ""
        if self.values is not None:
            value = self.values.sub(ERASED, value)
        if whole_row_is_theirs and self.names is not None:
            value = self.names.sub(ERASED, value)
        return value

    def document(self, data, *, whole_row_is_theirs: bool):
        if isinstance(data, str):
            return self.text(data, whole_row_is_theirs=whole_row_is_theirs)
        if isinstance(data, dict):
            return {k: self.document(v, whole_row_is_theirs=whole_row_is_theirs) for k, v in data.items()}
        if isinstance(data, list):
            return [self.document(v, whole_row_is_theirs=whole_row_is_theirs) for v in data]
        return data

    def matches(self, text: str) -> bool:
        return bool(self.values is not None and self.values.search(text))


_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


def _store_path(model: type[models.Model]) -> str | None:
    """The lookup from a row to its store: `store`, or `<fk>__store` through a store-scoped parent."""
    fks = [f for f in model._meta.concrete_fields if f.is_relation and f.many_to_one]
    if any(f.name == "store" and f.related_model is Store for f in fks):
        return "store"
    for fk in fks:
        parent = fk.related_model
        if any(f.name == "store" and f.related_model is Store for f in parent._meta.concrete_fields if f.is_relation):
            return f"{fk.name}__store"
    return None


def _swept_models() -> list[tuple[type[models.Model], list[models.Field], str]]:
    """(model, its text/JSON columns, the lookup to its store) for every table swept: every table that
    belongs to a store (rows of other stores are other merchants' business, even for the same person)."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if (meta.proxy or not meta.managed or meta.label in NOT_SWEPT
                or meta.app_label.startswith(NOT_SWEPT_APPS)):
            continue
        store_path = _store_path(model)
        # Natural keys (columns of a unique constraint) are ids, not personal data; rewriting one could
        # collide with another row (opt-outs, which are keyed by email, are deleted instead).
        keys = {name for c in meta.constraints if isinstance(c, models.UniqueConstraint) for name in c.fields}
        fields = [f for f in meta.concrete_fields
                  if isinstance(f, _TEXT_FIELDS) and not isinstance(f, EncryptedTextField)
                  and not f.primary_key and not f.unique and f.name not in keys]
        if fields and store_path:
            found.append((model, fields, store_path))
    return found


def _sweep(store: Store, subject: _Subject, eraser: _Eraser) -> int:
    """Redact the shopper's values in place in every text/JSON column of every swept table."""
    needles = sorted(subject.distinctive() | subject.ips)
    if not needles:
        return 0
    changed = 0
    for model, fields, store_path in _swept_models():
        rows = model._default_manager.filter(**{store_path: store})
        match = Q()
        for column in fields:
            for needle in needles:
                if isinstance(column, models.GenericIPAddressField):
                    if needle in subject.ips:
                        match |= Q(**{column.name: needle})
                else:
                    match |= Q(**{f"{column.name}__icontains": needle})
        if model is OutboundCall and subject.order_ids:
            for order_id in subject.order_ids:
                match |= Q(path__regex=_order_path(order_id))
        if model is OutboxEvent:
            # An erasure request needs the email until Friendbuy has accepted it (outbox then forgets it).
            rows = rows.exclude(kind=OutboxEvent.Kind.ERASURE, sent_at__isnull=True)
        for row in rows.filter(match).iterator():
            changes = _row_changes(row, fields, eraser)
            if changes:
                model._default_manager.filter(pk=row.pk).update(**changes)
                changed += 1
    return changed


def _row_changes(row: models.Model, fields: list[models.Field], eraser: _Eraser) -> dict:
    whole = any(eraser.matches(_as_text(getattr(row, f.attname))) for f in fields) or isinstance(row, OutboundCall)
    changes = {}
    for column in fields:
        value = getattr(row, column.attname)
        if value in (None, "", [], {}):
            continue
        if isinstance(column, models.GenericIPAddressField):
            new = None if eraser.text(str(value), whole_row_is_theirs=False) == "" else value
        elif isinstance(column, models.JSONField):
            new = eraser.document(value, whole_row_is_theirs=whole)
        else:
            new = eraser.text(str(value), whole_row_is_theirs=whole)
            if isinstance(column, models.CharField) and column.max_length:
                new = new[: column.max_length]
        if new != value:
            if new is None and not column.null:
                new = ""
            changes[column.attname] = new
    return changes


def _as_text(value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def customer_erase(
    *, store: Store, bc_customer_id: int | None = None, email: str | None = None, actor: str
) -> dict:
    """Erase one shopper's personal data everywhere it lives here (see the module docstring) and ask
    Friendbuy to delete theirs (outbox, kind erasure). Returns counts."""
    if not bc_customer_id and not email:
        raise ValueError("Give a BigCommerce customer id or an email.")
    subject, identities = _gather(store, bc_customer_id=bc_customer_id, email=email)
    eraser = _Eraser(subject)
    now = timezone.now()
    requests_queued = 0
    with transaction.atomic():
        erased_orders = OrderSnapshot.objects.filter(pk__in=subject.snapshot_pks).update(
            email="", normalized_email="", billing_first_name="", billing_last_name="", ip_address="",
            user_agent="", shipping_addresses=[], erased_at=now,
        )
        scrubbed = outbox_scrub_personal_data(
            queryset=OutboxEvent.objects.filter(store=store).filter(
                Q(order_id__in=subject.snapshot_pks) | Q(identity__in=identities)
            )
        )
        CustomerIdentity.objects.filter(pk__in=[i.pk for i in identities]).update(
            email="", normalized_email="", first_name="", last_name="", erased_at=now, erased_by=actor[:255],
        )
        captures = AttributionCapture.objects.filter(store=store).filter(
            Q(email__in=subject.emails) | Q(bc_customer_id__in=subject.bc_customer_ids)
            | Q(device_id__in=subject.device_ids)
        )
        captures.update(email="", ip_address=None, user_agent="", device_id="")
        OrderAttributionLink.objects.filter(store=store).filter(
            Q(bc_order_id__in=subject.order_ids) | Q(device_id__in=subject.device_ids)
        ).update(ip_address=None, user_agent="", device_id="")
        ShopperIdentification.objects.filter(store=store, bc_customer_id__in=subject.bc_customer_ids).update(email="")
        # An opt-out is keyed by the address; without it, it can match no one (Friendbuy keeps its own).
        EmailOptOut.objects.filter(store=store, email__in=subject.emails).delete()
        fraud = fraud_subject_anonymise(
            store_id=store.pk, customer_keys=subject.customer_keys, order_ids=subject.order_ids
        )
        swept = _sweep(store, subject, eraser)
        if FriendbuyConnection.objects.filter(store=store).exists():
            customer_ids = {i.friendbuy_customer_id for i in identities} | (
                {str(bc_customer_id)} if bc_customer_id else set())
            # Every address she is known by here, aliases included: Friendbuy may know her by any of them.
            emails = subject.emails
            subjects = [(cid, "") for cid in sorted(customer_ids)] + [("", e) for e in sorted(emails)]
            # Each storefront with a Friendbuy merchant of its own holds its own copy: ask each merchant.
            channels = [None, *FriendbuyChannelConnection.objects.filter(store=store).order_by("channel_id")
                        .values_list("channel_id", flat=True)]
            for channel_id in channels:
                for customer_id, subject_email in subjects:
                    suffix = f":channel:{channel_id}" if channel_id else ""
                    _, created = outbox_enqueue(
                        store=store,
                        kind=OutboxEvent.Kind.ERASURE,
                        natural_key=f"erasure:{_subject_key(customer_id, subject_email)}{suffix}",
                        payload={"customerId": customer_id, "email": subject_email, "actor": actor[:255]},
                        channel_id=channel_id,
                    )
                    requests_queued += int(created)
    logger.info(
        "Erased customer data in store %s for %d identities by %s.", store.store_hash, len(identities), actor
    )
    return {
        "identities": len(identities),
        "orders": erased_orders,
        "outbox_events": scrubbed,
        "fraud_signals": fraud["signals"],
        "fraud_assessments": fraud["assessments"],
        "rows_redacted": swept,
        "erasure_requests": requests_queued,
    }
