"""The inbox's write: one delivery row in one INSERT statement, the dedupe claim decided by the database.

The webhook acknowledgement makes exactly one durable write, so its cost is the cost of this statement.
A model `create()` builds an instance, runs the save machinery and compiles the query each time;
here the statement is built once per database vendor from the model's own fields and each value is prepared
by its field (JSON, datetimes), as `create()` would. PostgreSQL and SQLite (the two databases the
project runs on) both support `ON CONFLICT DO NOTHING ... RETURNING`.

A claim (a valid delivery) is `INSERT ... ON CONFLICT DO NOTHING RETURNING id`: the partial unique
constraint `uniq_valid_webhook_delivery` lets one valid copy of (store, scope, resource id, hash) in,
and a copy that collides with it, concurrent or not, inserts nothing and returns no id. That needs
neither an IntegrityError nor a savepoint, so it is one statement in autocommit and safe inside a
caller's transaction too.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection
from django.utils import timezone

from .models import WebhookDelivery

_FIELDS = tuple(f for f in WebhookDelivery._meta.concrete_fields if not f.primary_key)
_ATTNAMES = frozenset(f.attname for f in _FIELDS)


@lru_cache(maxsize=8)
def _insert_sql(vendor: str, claim: bool) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _FIELDS)
    marks = ", ".join(["%s"] * len(_FIELDS))
    conflict = " ON CONFLICT DO NOTHING" if claim else ""
    table, pk = quote(WebhookDelivery._meta.db_table), quote(WebhookDelivery._meta.pk.column)
    # Only quoted names from the model's metadata go into the text; every value is a parameter.
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}){conflict} RETURNING {pk}"  # noqa: S608


def webhook_delivery_insert(*, values: dict, claim: bool) -> int | None:
    """Insert one delivery (`values` by attname, e.g. store_id; the rest take their defaults).

    Returns the new id, or None when `claim` is set and a valid copy already holds the dedupe key.
    """
    unknown = set(values) - _ATTNAMES
    if unknown:
        raise TypeError(f"Not WebhookDelivery columns: {sorted(unknown)}")
    values = {"received_at": timezone.now(), **values}
    params = [
        f.get_db_prep_save(values[f.attname] if f.attname in values else f.get_default(), connection)
        for f in _FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor, claim), params)
        row = cursor.fetchone()
    return row[0] if row else None
