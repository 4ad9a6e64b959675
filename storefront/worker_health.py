"""The Celery worker's health check, for its container: `manage.py worker_health` (see that command).

The worker answers a `health` inspect command (registered here, imported by config.celery) with the
database checks of storefront.health run in the worker itself: a reply proves the worker is alive and
consuming its broker, and its content that the worker reaches the database with every migration applied.
`celery -A config inspect health -d celery@$HOSTNAME` shows the same answer without the exit status.
"""

from __future__ import annotations

from celery import current_app
from celery.worker.control import inspect_command
from django.db import connection

from .health import OK, database_checks, failure


@inspect_command()
def health(state, **kwargs) -> dict[str, str]:
    """Database reachable from this worker, migrations applied."""
    try:
        return database_checks()
    finally:
        connection.close()  # the consumer thread keeps no connection between checks


def worker_health(*, destination: str, timeout: float) -> tuple[bool, dict]:
    """Ask the worker named `destination` for its health; (healthy, report) where the report names what failed."""
    try:
        replies = current_app.control.broadcast(
            "health", destination=[destination], reply=True, timeout=timeout
        )
    except Exception as exc:  # the broker itself is unreachable from here
        return False, {"worker": destination, "broker": failure(exc)}
    answer = next((reply[destination] for reply in replies or [] if destination in reply), None)
    if answer is None:
        return False, {"worker": destination, "reply": f"failed: no answer within {timeout:g} s"}
    healthy = isinstance(answer, dict) and all(value == OK for value in answer.values())
    return healthy, {"worker": destination, "checks": answer}
