"""Keeping secrets out of logs, admin pages and stored request bodies: by key name, and by value.

By key: the values of secret-named keys and headers are redacted wherever a body or header set is stored.
By value: every secret this process knows is scrubbed from any text it stores or logs, whatever the key
or position (a secret header inside a JSON body, a query string, an error message, a traceback). The
process learns the secrets as it handles them: every value of an encrypted column on read or write
(BigCommerce access tokens, per-store webhook secrets, Friendbuy key, secret, webhook secret and bearer
token; `storefront.fields`), the app's client secret at start-up, and what the clients remember before
they send it (the OAuth code, a bearer token just received, credentials typed into the connect form).

Scrubbing covers the forms a secret travels in: as-is, URL-encoded and base64 (standard and URL-safe).
The set is bounded (least recently used values go first), so a long-lived worker serving many stores
keeps the secrets of the stores it is serving now.
"""
import base64
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

SECRET_KEYS = {
    "access_token", "client_secret", "secret", "key", "token", "password",
    "x-auth-token", "authorization", "webhook_secret", "api_secret", "api_key", "x-webhook-secret",
}
SECRET_HEADER_NAMES = {"x-auth-token", "authorization", "x-webhook-secret", "x-friendbuy-hmac-sha256"}
# Shorter values are too likely to occur by chance in ordinary text to be scrubbed by value.
MIN_SECRET_LENGTH = 8
MAX_KNOWN_SECRETS = 2048

_known: OrderedDict[str, str] = OrderedDict()  # an encoded form of a secret → what replaces it
_known_lock = threading.Lock()
_known_sorted: list[tuple[str, str]] | None = None  # rebuilt when the set of forms changes


def redact(value: str | None) -> str:
    """Show only the last four characters of a secret."""
    if not value:
        return ""
    return "••••" + value[-4:] if len(value) > 8 else "••••"


def _encodings(value: str) -> set[str]:
    raw = value.encode()
    forms = {
        value, quote(value, safe=""), quote_plus(value, safe=""),
        base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
    }
    return {stripped for form in forms for stripped in (form, form.rstrip("=")) if len(stripped) >= MIN_SECRET_LENGTH}


def _usable(value: object) -> bool:
    return isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH


def secrets_remember(values: Iterable[str | None]) -> None:
    """Scrub these values (and their encodings) from every log record and error message from now on."""
    global _known_sorted
    with _known_lock:
        for value in values:
            if not _usable(value):
                continue
            shown = redact(value)
            for form in _encodings(value):
                if form not in _known:
                    _known_sorted = None
                _known[form] = shown
                _known.move_to_end(form)
        while len(_known) > MAX_KNOWN_SECRETS:
            _known.popitem(last=False)
            _known_sorted = None


def secret_remember(value: str | None) -> None:
    secrets_remember((value,))


Forms = tuple[tuple[str, str], ...]


def _known_forms() -> Forms:
    global _known_sorted
    with _known_lock:
        if _known_sorted is None:
            # Longest first, so the whole of an encoded form goes before a shorter form inside it.
            _known_sorted = tuple(sorted(_known.items(), key=lambda item: len(item[0]), reverse=True))
        return _known_sorted


@lru_cache(maxsize=256)
def _forms_of(values: tuple[str, ...]) -> Forms:
    forms = {form: redact(value) for value in values if _usable(value) for form in _encodings(value)}
    return tuple(sorted(forms.items(), key=lambda item: len(item[0]), reverse=True))


def _forms(values: Iterable[str] | None) -> Forms:
    """The given values' forms, or, with None, those of every secret this process knows."""
    return _known_forms() if values is None else _forms_of(tuple(sorted({v for v in values if _usable(v)})))


# Bearer tokens, X-Auth-Token values, JWT-shaped strings and the control panel's signed query parameters
# (the install `code`, `signed_payload`, `signed_payload_jwt`, e.g. in a request line), known or not.
_PATTERNS = [
    re.compile(r"(?i)([?&](?:code|signed_payload|signed_payload_jwt)=)[^&\s\"']+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(x-auth-token['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9._-]{8,}"),
    re.compile(r"()eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
]


def _scrub_with(text: str, forms: Forms) -> str:
    for form, shown in forms:
        if form in text:
            text = text.replace(form, shown)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


def scrub(text: str, values: Iterable[str] | None = None) -> str:
    """The text with the given secrets (default: every secret known) and token-shaped strings replaced."""
    if not text:
        return text
    return _scrub_with(text, _forms(values))


def _scrub_deep(data: Any, forms: Forms) -> Any:
    if isinstance(data, str):
        return _scrub_with(data, forms)
    if isinstance(data, dict):
        return {
            (_scrub_with(k, forms) if isinstance(k, str) else k): _scrub_deep(v, forms) for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [_scrub_deep(item, forms) for item in data]
    return data


def scrub_data(data: Any, values: Iterable[str] | None = None) -> Any:
    """A copy of a JSON-like structure with the given secrets (default: every secret known) scrubbed from
    its strings and keys, at any depth."""
    return _scrub_deep(data, _forms(values))


def redact_data(data: Any, extra_keys: frozenset[str] = frozenset(), values: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like structure: secret-named keys redacted, and `values` scrubbed wherever they are.

    The value of a secret-named key is scrubbed elsewhere in the structure too, and remembered as a secret
    (a token read from a response, then quoted in an error message or a log line).
    """
    found: list[str] = []
    redacted = _redact_keys(data, extra_keys, found)
    secrets_remember(found)
    forms = _forms([*values, *found])
    if not forms:
        return redacted
    # One pass over the serialised body finds which forms occur (usually none); only then walk it.
    text = json.dumps(redacted, ensure_ascii=False, default=str)
    present = tuple(item for item in forms if json.dumps(item[0], ensure_ascii=False)[1:-1] in text)
    return _scrub_deep(redacted, present) if present else redacted


def _redact_keys(data: Any, extra_keys: frozenset[str], found: list[str]) -> Any:
    if isinstance(data, dict):
        result = {}
        for k, v in data.items():
            if (str(k).lower() in SECRET_KEYS or k in extra_keys) and v:
                if isinstance(v, str):
                    found.append(v)
                result[k] = redact(str(v))
            else:
                result[k] = _redact_keys(v, extra_keys, found)
        return result
    if isinstance(data, list):
        return [_redact_keys(item, extra_keys, found) for item in data]
    return data


_scrubbed_here: ContextVar[tuple[str, ...]] = ContextVar("scrubbed_here", default=())


@contextmanager
def scrubbing(values: Iterable[str | None]) -> Iterator[None]:
    """Within the block, the calls recorded also scrub these values (e.g. the email an erasure request
    must send, which the call log must not keep)."""
    token = _scrubbed_here.set((*_scrubbed_here.get(), *(v for v in values if _usable(v))))
    try:
        yield
    finally:
        _scrubbed_here.reset(token)


def scrubbed_here() -> tuple[str, ...]:
    return _scrubbed_here.get()


def header_secrets(headers: dict[str, str]) -> list[str]:
    """The secret values carried by secret-named headers (a bearer token without its scheme)."""
    values = []
    for name, value in headers.items():
        if name.lower() in SECRET_HEADER_NAMES and isinstance(value, str):
            values.append(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.lower() in ("bearer", "basic"):
                values.append(credential)
    return values


def redact_headers(headers: dict[str, str], values: Iterable[str] = ()) -> dict[str, str]:
    """Headers with secret-named ones redacted and `values` scrubbed from the rest."""
    forms = _forms(values)
    return {
        k: (redact(v) if k.lower() in SECRET_HEADER_NAMES else _scrub_with(str(v), forms) if forms else v)
        for k, v in headers.items()
    }


class RedactingFilter(logging.Filter):
    """Last line of defence for a handler: scrub known secrets and token-shaped strings from its records."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_format_exception = logging.Formatter().formatException


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Scrub a record's message, exception text and stack in place (formatting them now)."""
    message = record.getMessage()
    cleaned = scrub(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        record.exc_text = _format_exception(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


_factory_lock = threading.Lock()
_installed = False


def install_scrubbing_record_factory() -> None:
    """Scrub every log record as it is made, whichever handler (or test capture) receives it (idempotent)."""
    global _installed
    with _factory_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def scrubbing_factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                return scrub_record(record)
            except Exception:  # a bad format string is the handler's to report, not the caller's
                return record

        logging.setLogRecordFactory(scrubbing_factory)
        _installed = True
