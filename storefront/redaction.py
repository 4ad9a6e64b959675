"""Keeping secrets out of logs, admin pages and stored request bodies."""
import logging
import re
from typing import Any

# The OAuth install `code` is single-use and dead once exchanged, so coupon `code`s stay readable in logs.
SECRET_KEYS = {
    "access_token", "client_secret", "secret", "key", "token", "password",
    "x-auth-token", "authorization", "webhook_secret", "api_secret", "api_key",
}
SECRET_HEADER_NAMES = {"x-auth-token", "authorization", "x-webhook-secret", "x-friendbuy-hmac-sha256"}


def redact(value: str | None) -> str:
    """Show only the last four characters of a secret."""
    if not value:
        return ""
    return "••••" + value[-4:] if len(value) > 8 else "••••"


def redact_data(data: Any, extra_keys: frozenset[str] = frozenset()) -> Any:
    """A copy of a JSON-like structure with the values of secret-named keys redacted."""
    if isinstance(data, dict):
        return {
            k: (redact(str(v)) if (str(k).lower() in SECRET_KEYS or k in extra_keys) and v
                else redact_data(v, extra_keys))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_data(item, extra_keys) for item in data]
    return data


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (redact(v) if k.lower() in SECRET_HEADER_NAMES else v) for k, v in headers.items()}


# Bearer tokens, X-Auth-Token values and JWT-shaped strings that slip into a log message.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(x-auth-token['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9._-]{8,}"),
    re.compile(r"()eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
]


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Last line of defence: scrub token-shaped strings from every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
