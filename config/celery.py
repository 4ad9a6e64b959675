"""Celery application. Tasks are thin wrappers that take ids; see each app's tasks.py."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("bc_friendbuy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
