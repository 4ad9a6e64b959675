"""{{ amount|money:store }}: an amount in the store's default currency, written the way the store writes it
(storefront.money: its symbol, separators and decimals from GET /v2/store, "1,234.56 USD" until read);
{{ count|count:store }}: a whole number with the store's thousands separator."""

from django import template

from storefront.money import MoneyFormat

register = template.Library()


@register.filter
def money(amount, store) -> str:
    return MoneyFormat.of(store).format(amount)


@register.filter
def count(value, store) -> str:
    return MoneyFormat.of(store).count(value)
