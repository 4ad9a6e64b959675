"""The base the storefront widget API stands on (its endpoints are in referrals): one module per job.

The widget API is called from storefront pages on the merchant's own domain. Its trust boundary:
- the store is named by its opaque `public_id` (`X-Store-Id` header, or `?store=` so CORS preflights,
  which carry no custom header values, can be answered per store): `stores`;
- browsers may call it only from the store's own origins (Store.storefront_url and its storefront
  channels' site URLs, both read from BigCommerce by storefront.channels, and
  StorefrontSettings.allowed_origins). Other origins get no CORS headers, and their writes a 403. A
  preflight (OPTIONS) is answered before and without authentication, with the endpoint's own methods
  and request headers (StorefrontAPIView.cors_methods / cors_request_headers), Max-Age and Vary: Origin:
  `cors`, `views`;
- bodies are capped (MAX_BODY_BYTES) and their nesting depth checked before parsing (BoundedJSONParser,
  through storefront.bounded_json): `parsing`; a body refused there is a 4xx recorded as a RejectedCall
  (bounded, limited per IP); every request is throttled per client IP and per store through the Django
  cache (in this process while that cache is down): `throttling`;
- every error has one JSON shape: `errors`; `views.StorefrontAPIView` puts it all together for each view;
  `schema` keeps the published OpenAPI schema to the public APIs.
"""
