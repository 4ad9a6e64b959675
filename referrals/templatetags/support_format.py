"""{{ amount|amount_in:currency }} and {{ answer|fields }}: the support pages' words (referrals.support.words).

Amounts are in their own currency (an order's, a reward's), not the store's format (the `money` library)."""

from django import template

from referrals.support import words

register = template.Library()


@register.filter
def amount_in(amount, currency: str = "") -> str:
    return words.money(amount, currency)


@register.filter
def fields(value) -> str:
    return words.readable_fields(value)
