"""{{ amount|money:currency }} and {{ answer|fields }}: the support pages' words (referrals.support.words)."""

from django import template

from referrals.support import words

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    return words.money(amount, currency)


@register.filter
def fields(value) -> str:
    return words.readable_fields(value)
