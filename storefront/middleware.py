"""Lets the control panel, and only the control panel, frame the app's embedded pages."""
from django.conf import settings


class ControlPanelFrameMiddleware:
    """Views marked @xframe_options_exempt get `frame-ancestors` for BigCommerce's control panel.

    X-Frame-Options can't express an allow-list of origins, so those views drop it and rely on CSP.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "xframe_options_exempt", False):
            ancestors = " ".join(["'self'", *settings.FRAME_ANCESTORS])
            response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        return response
