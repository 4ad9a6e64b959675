"""Celery tasks of the storefront app (thin wrappers that take ids). Importing the package registers
every task in it: the worker's autodiscovery imports only `storefront.tasks`."""
from . import retention, scripts, stores, webhooks  # noqa: F401
