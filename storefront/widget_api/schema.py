"""The published OpenAPI schema (drf-spectacular) covers the public APIs only."""


def only_storefront_api(endpoints):
    """drf-spectacular preprocessing hook: the published schema covers the widget API and the merchant's
    external-events API only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(("/api/storefront/", "/api/external/"))]
