"""Hand-written SQL for the sandbox's per-request hot paths (the fake gateways' lookups, the event insert).

Why not the ORM there: every order the app processes makes four calls to the sandbox, and on the
benchmark machine compiling a one-row queryset costs several times what the database spends answering
it. Names still come from the models' metadata and values go through the fields' own conversions
(`get_db_prep_save` in, `from_db_value` out), so the SQL follows the models and stays right on both
SQLite and PostgreSQL. Everything else in the sandbox uses the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import DEFERRED, Model, signals

M = TypeVar("M", bound=Model)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def fetch_row(sql: str, params: Sequence[Any]) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def decode(model: type[Model], name: str, value: Any) -> Any:
    """A raw column value as the model field would load it (e.g. JSON text → Python)."""
    field = model._meta.get_field(name)
    return field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value


def instance(model: type[M], names: Sequence[str], values: Sequence[Any]) -> M:
    """A model instance from raw values of the fields `names` (no converters: integer and text columns only).

    The other fields are deferred, so reading one of them loads it from the database as the ORM would.
    """
    given = dict(zip(names, values, strict=True))
    fields = model._meta.concrete_fields
    row = [given.get(f.attname, DEFERRED) for f in fields]
    return model.from_db(connection.alias, [f.attname for f in fields], row)


def insert(obj: Model) -> None:
    """INSERT an unsaved instance as `obj.save()` would (defaults, pre_save, db prep) and set its pk.

    Falls back to save() when something listens to the model's save signals, which this path skips.
    """
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(force_insert=True)
        return
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, connection.vendor), values)
        if connection.features.can_return_columns_from_insert:
            obj.pk = cursor.fetchone()[0]
        else:
            obj.pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    obj._state.adding = False
    obj._state.db = connection.alias


@cache
def _insert_sql(model: type[Model], vendor: str) -> str:
    # `vendor` is only part of the cache key: quoting and RETURNING support differ per backend.
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    # Only quoted names from the model's metadata are interpolated; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        table(model),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return sql
