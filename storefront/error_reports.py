"""Error reports (admin e-mails, the DEBUG page) with secrets cleansed from settings, headers and locals.

Django's default filter hides settings and headers named like API/TOKEN/KEY/SECRET/PASS/SIGNATURE but
not `Authorization`, HMAC or JWT headers, and shows every local variable of every frame; a traceback
from inside a client call would otherwise carry an access token or a signed payload.
"""
import re

from django.views.debug import SafeExceptionReporterFilter


class SecretSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|AUTH|HMAC|JWT|COOKIE|SESSION", flags=re.I)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleansed_substitute if self.hidden_settings.search(name) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
