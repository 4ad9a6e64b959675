"""Celery tasks of the coupons app. Importing the package registers every task in it: the worker's
autodiscovery imports only `coupons.tasks`."""
from . import housekeeping  # noqa: F401
