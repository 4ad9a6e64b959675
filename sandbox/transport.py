"""A requests transport adapter that answers from this process's own URLconf.

Mounted (settings.HTTP_ADAPTERS) on the sandbox's base URL in the demo and the tests, so both API
clients go through real HTTP semantics (status, headers, JSON bodies) without a network or a second
server. The sandbox signals a simulated timeout with the `X-Sandbox-Fault: timeout` header, which
this adapter turns into the exception requests would raise.
"""
from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

SKIPPED_HEADERS = {"content-length", "content-type", "host"}


class InProcessAdapter(BaseAdapter):
    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None,
             proxies=None):
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in SKIPPED_HEADERS}
        client = Client(raise_request_exception=False, HTTP_HOST=parts.netloc)
        django_response = client.generic(
            request.method, parts.path, data=body,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            QUERY_STRING=parts.query, secure=parts.scheme == "https", headers=headers,
        )
        if django_response.get("X-Sandbox-Fault") == "timeout":
            raise requests.ReadTimeout(f"Simulated timeout from the sandbox for {request.url}", request=request)
        response = requests.Response()
        response.status_code = django_response.status_code
        response.headers = CaseInsensitiveDict(dict(django_response.items()))
        response._content = b"".join(django_response) if django_response.streaming else django_response.content
        response.url = request.url
        response.request = request
        response.reason = django_response.reason_phrase
        response.encoding = "utf-8"
        return response

    def close(self):
        pass
