"""Celery tasks of the referrals app (thin wrappers that take ids). Importing the package registers every
task in it: the worker's autodiscovery imports only `referrals.tasks`."""
from . import analytics, earning, orders, rewards  # noqa: F401
