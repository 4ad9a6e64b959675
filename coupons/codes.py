"""Coupon code strings: generated from an unambiguous alphabet, compared in one canonical case.

Friendbuy lower-cases codes that contain letters when it distributes them (reference §5) and shoppers
retype codes from emails, so: no 0/O, 1/I/L look-alikes, and every comparison goes through
`canonical()` (upper case, trimmed). The result always fits BigCommerce's code charset
`[a-zA-Z0-9_ -]`, ≤ 50 characters (promotions.v3.yml CouponCode).
"""
from __future__ import annotations

import re
import secrets

# Digits and capitals without 0, O, 1, I, L (and without U/V confusion we keep both: they differ enough).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
AMBIGUOUS = ("0", "O", "1", "I", "L")
DEFAULT_LENGTH = 10
MAX_CODE_LENGTH = 50
DELIMITER = "-"
_PREFIX_RE = re.compile(r"^[A-Z0-9_-]{0,20}$")
_VALID_RE = re.compile(r"^[A-Za-z0-9_ -]{1,50}$")


def canonical(code: str) -> str:
    """The stored, compared form of a code: trimmed and upper-cased."""
    return (code or "").strip().upper()


def clean_prefix(prefix: str) -> str:
    """A prefix BigCommerce accepts for both /codes and /codegen (`[A-Z0-9_-]`, ≤ 20)."""
    prefix = canonical(prefix).replace(" ", "")
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"Prefix must be letters, digits, '_' or '-', at most 20: {prefix!r}")
    return prefix


def generate_code(*, prefix: str = "", length: int = DEFAULT_LENGTH) -> str:
    """A fresh random code such as `FB-7Q2KX9MZRT` (≈ 49 bits of entropy at the default length)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(length))
    prefix = clean_prefix(prefix)
    code = f"{prefix}{DELIMITER}{body}" if prefix else body
    if len(code) > MAX_CODE_LENGTH:
        raise ValueError("Code longer than BigCommerce's 50 characters")
    return code


def is_valid_code(code: str) -> bool:
    """True when BigCommerce would accept the string as a coupon code."""
    return bool(_VALID_RE.match(code or ""))
