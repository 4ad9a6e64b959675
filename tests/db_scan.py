"""Search every text and JSON column of every table the app owns for given strings.

Tables are found by introspection (`django.apps.apps.get_models()`), so a model added later is scanned
without anyone remembering to. The sandbox's tables are left out: they are the outside world's state
(BigCommerce and Friendbuy hold the shopper and hand out the secrets). Encrypted columns are read raw,
as ciphertext, which is what the database holds.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from django.apps import apps
from django.db import connection, models

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    row_pk: object
    needle_name: str

    def __str__(self) -> str:
        return f"{self.needle_name} in {self.table}.{self.column} (pk {self.row_pk})"


def scanned_columns() -> list[tuple[type[models.Model], list[models.Field]]]:
    """(model, its text/JSON columns) for every concrete, managed model outside the sandbox."""
    found = []
    seen_tables = set()
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label.startswith("sandbox") or meta.db_table in seen_tables:
            continue
        seen_tables.add(meta.db_table)
        fields = [f for f in meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if fields:
            found.append((model, fields))
    return found


def encodings(value: str) -> set[str]:
    """The forms a string may be stored in: as-is, JSON-escaped, URL-encoded, base64 (both alphabets)."""
    raw = value.encode()
    forms = {
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {form for form in forms if form}


def _rows(model: type[models.Model], fields: list[models.Field]) -> Iterable[tuple]:
    """Raw column values (no from_db_value: encrypted columns stay ciphertext, JSON stays text)."""
    quote_name = connection.ops.quote_name
    columns = ", ".join(quote_name(f.column) for f in [model._meta.pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote_name(model._meta.db_table)}")  # names from the model registry
        yield from cursor.fetchall()


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    try:
        # JSON columns come back as text; their strings may be \u-escaped.
        return text + "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def scan_database(needles: dict[str, str], *, case_insensitive: bool = False) -> list[Finding]:
    """Every (table, column, row) holding any form of any needle ({name: value})."""
    forms = {name: encodings(value) for name, value in needles.items() if value}
    if case_insensitive:
        forms = {name: {form.lower() for form in values} for name, values in forms.items()}
    findings = []
    for model, fields in scanned_columns():
        for row in _rows(model, fields):
            pk, values = row[0], row[1:]
            for field, value in zip(fields, values, strict=True):
                text = _as_text(value)
                if case_insensitive:
                    text = text.lower()
                for name, name_forms in forms.items():
                    if any(form in text for form in name_forms):
                        findings.append(Finding(model._meta.db_table, field.column, pk, name))
    return findings


def scan_text(text: str, needles: dict[str, str]) -> list[str]:
    """Names of the needles any form of which occurs in `text`."""
    return [name for name, value in needles.items() if value and any(form in text for form in encodings(value))]

