"""No log line holds a signed control-panel URL: runserver's request lines go through the redacting handler
and gunicorn's access log (gunicorn.conf.py, read from the checkout) records paths without query strings."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from storefront.redaction import scrub

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdG9yZXMvYWJjIn0.c2lnbmF0dXJlLW9mLXRoZS1saW5r"
QUERY = f"signed_payload_jwt={TOKEN}&signed_payload=bGVnYWN5LnBheWxvYWQ&code=install-code-4711&context=stores/abc"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(150):
        if server.poll() is not None:
            raise AssertionError("the server exited")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def _serve_and_log(command: list[str], port: int) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _get_until_up(f"http://127.0.0.1:{port}/bigcommerce/load?{QUERY}", server)
        time.sleep(0.5)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    return output


def _assert_clean(output: str) -> None:
    assert "/bigcommerce/load" in output, output
    for secret in (TOKEN, "bGVnYWN5LnBheWxvYWQ", "install-code-4711"):
        assert secret not in output


def test_scrub_removes_signed_query_parameters_and_keeps_the_rest():
    line = scrub(f'"GET /bigcommerce/load?{QUERY} HTTP/1.1" 401 123')
    assert line == ('"GET /bigcommerce/load?signed_payload_jwt=[redacted]&signed_payload=[redacted]'
                    '&code=[redacted]&context=stores/abc HTTP/1.1" 401 123')


def test_runserver_request_lines_hold_no_signed_url():
    port = _free_port()
    output = _serve_and_log([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], port)
    _assert_clean(output)
    assert "signed_payload_jwt=[redacted]" in output


def test_gunicorn_access_log_holds_no_query_string():
    port = _free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    output = _serve_and_log([gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "--access-logfile", "-"], port)
    _assert_clean(output)
    assert '"GET /bigcommerce/load HTTP/1.1" 401' in output
