"""Untrusted request bodies: read at most a limit, refuse deep nesting before any JSON parse.

Every inbound endpoint (both webhook inboxes, the reward validation callback and the widget API)
reads its body and parses it here. Python's `json` recurses once per nesting level, so a body of ten
thousand `[` raises RecursionError (a 500, unrecorded) instead of a ValueError; and reading a body
whole puts whatever a caller sends in memory. So:
- `body_read` reads at most `limit + 1` bytes (less when Content-Length already says too much);
- `json_parse` first measures the nesting depth with C-speed steps (escapes and strings removed by two
  regexes, brackets kept by `translate`, depth by `accumulate`), then parses; every failure is a
  `BoundedJSONError` (a ValueError) with the reason to record.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass
from itertools import accumulate, repeat

from django.http import HttpRequest

MAX_DEPTH = 32  # our payloads nest 3-5 deep; anything past this is not a webhook or a widget call

# Escapes first (so every quote left delimits a string), then strings: both linear, no backtracking.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# After translate: an opening bracket is 2 and a closing one 0, so each step minus 1 is +1 / -1.
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


class BoundedJSONError(ValueError):
    """The body is not JSON we will parse; `status` is the HTTP answer it deserves."""

    status = 400


class BodyTooDeep(BoundedJSONError):
    pass


class BodyTooLarge(BoundedJSONError):
    status = 413


@dataclass(frozen=True)
class Body:
    """What was read of a request body: at most limit + 1 bytes, and how many the caller sent."""

    data: bytes
    size: int
    too_large: bool


def body_read(request: HttpRequest, *, limit: int) -> Body:
    """Read the body, never more than `limit + 1` bytes; `size` is the declared length when that is larger."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    declared_size = int(declared) if declared.isdigit() else 0
    if declared_size > limit:
        # Keep a prefix as evidence; the rest is never read (the server discards it).
        return Body(request.read(min(limit, 4096)), declared_size, True)
    data = request.read(limit + 1)
    return Body(data[: limit + 1], max(len(data), declared_size), len(data) > limit)


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in `data` (strings ignored; exact for valid JSON)."""
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", data)).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(map(operator.sub, brackets.translate(_STEPS), repeat(1))))


def json_parse(data: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> object:
    """Parse untrusted JSON bytes within the limits, or raise a BoundedJSONError saying why not."""
    if len(data) > max_bytes:
        raise BodyTooLarge(f"Body larger than {max_bytes} bytes.")
    depth = json_depth(data)
    if depth > max_depth:
        raise BodyTooDeep(f"JSON nested deeper than {max_depth} levels.")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BoundedJSONError("The body is not valid JSON.") from exc
