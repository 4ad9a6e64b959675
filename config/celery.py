"""Celery application. Tasks are thin wrappers that take ids, in each app's `tasks` package (whose __init__
imports all its modules: autodiscovery imports only `<app>.tasks`). Services queue them by name (storefront.queueing)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("bc_friendbuy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from storefront import worker_health  # noqa: E402, F401  (registers the worker's `health` inspect command)
