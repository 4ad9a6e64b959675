"""The installed scripts as a Stencil page renders them: read from the BigCommerce sandbox's script rows,
placed by location and visibility, with the Handlebars values substituted.

Shared by the demo storefront and the browser tests so both render scripts the same way.
"""

from __future__ import annotations

import html
import re

from sandbox.bigcommerce.models import FakeScript

# Stencil renders an expression it has no value for as an empty string.
HANDLEBARS = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
STOREFRONT_PAGES = frozenset({"all_pages", "storefront"})
CONFIRMATION_PAGES = frozenset({"all_pages", "order_confirmation"})


def script_tag(fields: dict) -> str:
    """One script as BigCommerce injects it: its html for script_tag, a <script src> with SRI for src."""
    if fields.get("kind") == "script_tag":
        return fields.get("html") or ""
    integrity = " ".join(fields.get("integrity_hashes") or [])
    method = fields.get("load_method")
    loading = " defer" if method == "defer" else (" async" if method == "async" else "")
    sri = f' integrity="{html.escape(integrity)}" crossorigin="anonymous"' if integrity else ""
    return f'<script src="{html.escape(fields.get("src") or "")}"{sri}{loading}></script>'


def render_handlebars(text: str, values: dict[str, str]) -> str:
    """Substitute `{{name}}` with values[name] (or "" as Stencil does for an unknown expression)."""
    return HANDLEBARS.sub(lambda m: values.get(m.group(1), ""), text)


def installed_scripts(*, store_hash: str) -> list[dict]:
    """The store's enabled scripts in the BigCommerce sandbox, oldest first (Script Manager order)."""
    rows = FakeScript.objects.filter(store__store_hash=store_hash).order_by("id")
    return [row.data for row in rows if row.data.get("enabled", True)]


def page_scripts(scripts: list[dict], *, visibility: frozenset[str], values: dict[str, str]) -> dict[str, str]:
    """{"head": html, "footer": html} for a page that shows scripts of the given visibilities."""
    chosen = [s for s in scripts if s.get("visibility") in visibility]
    placed = {
        location: "\n".join(script_tag(s) for s in chosen if s.get("location", "footer") == location)
        for location in ("head", "footer")
    }
    return {location: render_handlebars(text, values) for location, text in placed.items()}
