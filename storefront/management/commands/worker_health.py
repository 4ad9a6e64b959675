"""`manage.py worker_health`: exit 0 when this host's Celery worker answers and reaches the database."""

import json
import socket

from django.core.management.base import BaseCommand, CommandError

from storefront.worker_health import worker_health


class Command(BaseCommand):
    help = (
        "Container health check for a Celery worker: asks the worker (default celery@<this hostname>, "
        "Celery's default node name) over the broker to check its database and migrations. Prints the "
        "answer as JSON; exits 1 when the worker does not answer in time or a check failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--destination", default=f"celery@{socket.gethostname()}",
                            help="The worker's node name (celery -n), default celery@<hostname>.")
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds to wait for the answer.")

    def handle(self, *args, destination: str, timeout: float, **options):
        healthy, report = worker_health(destination=destination, timeout=timeout)
        line = json.dumps(report, sort_keys=True)
        if not healthy:
            raise CommandError(line)
        self.stdout.write(line)
