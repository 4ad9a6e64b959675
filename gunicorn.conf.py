"""gunicorn settings, read from the working directory by default (`gunicorn config.wsgi` from here).

The access log (when on: `--access-logfile -`) records the path without its query string: the control
panel's callbacks carry `signed_payload_jwt` and the install `code` there, and no log may hold them.
No referer either, for the same reason. Everything else is gunicorn's default format.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
