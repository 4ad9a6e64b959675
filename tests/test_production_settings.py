"""Production settings refuse to start with unsafe values (each in a fresh interpreter, as a server starts),
and accept the environment CI uses with `check --deploy` clean at WARNING."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "SECRET_KEY": "k7-" + "".join(chr(33 + (i * 7) % 90) for i in range(60)),
    "ALLOWED_HOSTS": "app.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "BIGCOMMERCE_CLIENT_ID": "ci",
    "BIGCOMMERCE_CLIENT_SECRET": "ci-secret",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",  # production runs a worker; nothing connects at start
}


def _run(args: list[str], **overrides) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings.production", **GOOD}
    env.update({k: v for k, v in overrides.items() if v is not None})
    for name in [k for k, v in overrides.items() if v is None]:
        env.pop(name, None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _import_settings(**overrides) -> subprocess.CompletedProcess:
    return _run(["-c", "from django.conf import settings; settings.INSTALLED_APPS"], **overrides)


def test_the_ci_environment_starts_and_check_deploy_is_clean():
    assert _import_settings().returncode == 0
    checked = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("overrides, names", [
    ({"DEBUG": "true"}, "DEBUG"),
    ({"SECRET_KEY": "a" * 50}, "SECRET_KEY"),
    ({"SECRET_KEY": "abcd" * 20}, "SECRET_KEY"),
    ({"SECRET_KEY": "x7Gq2-short"}, "SECRET_KEY"),
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "django-insecure-" + GOOD["SECRET_KEY"]}, "SECRET_KEY"),
    ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
    ({"ALLOWED_HOSTS": "app.example.com,*"}, "ALLOWED_HOSTS"),
    ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS"),
    ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEYS"),
    ({"FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode() + ",c2hvcnQ="}, "FIELD_ENCRYPTION_KEYS"),
    ({"BIGCOMMERCE_CLIENT_SECRET": ""}, "BIGCOMMERCE_CLIENT_ID"),
    ({"SECURE_HSTS_SECONDS": "3600"}, "SECURE_HSTS_SECONDS"),
])
def test_unsafe_production_settings_refuse_to_start(overrides, names):
    result = _import_settings(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and names in result.stderr, result.stderr
    for value in overrides.values():
        if value and len(value) > 8:
            assert value not in result.stderr  # the refusal names the variable, never its value
