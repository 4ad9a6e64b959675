"""Celery tasks of the fraud app. Importing the package registers every task in it: the worker's
autodiscovery imports only `fraud.tasks`."""
from . import review  # noqa: F401
