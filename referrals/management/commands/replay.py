"""python manage.py replay --failed [--dead] [--store HASH] | --event ID

Gives failed (and with --dead, dead) outbox events a fresh set of attempts and sends them now.
Sent events are never sent again.
"""

from django.core.management.base import BaseCommand, CommandError

from referrals.models import OutboxEvent
from referrals.outbox import outbox_replay
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = "Replay failed/dead Friendbuy outbox events."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="Replay events in state failed.")
        parser.add_argument("--dead", action="store_true", help="Replay events in state dead too.")
        parser.add_argument("--store", help="Only this store hash.")
        parser.add_argument("--event", type=int, help="Replay this one event (failed or dead).")

    def handle(self, *args, failed, dead, store, event, **options):
        if event is None and not (failed or dead):
            raise CommandError("Give --failed and/or --dead, or --event ID.")
        store_obj = None
        if store:
            store_obj = store_by_hash(store_hash=store)
            if store_obj is None:
                raise CommandError(f"No store {store!r}.")
        if event is not None:
            row = OutboxEvent.objects.filter(pk=event).first()
            if row is None:
                raise CommandError(f"No outbox event {event}.")
            if row.state not in (OutboxEvent.State.FAILED, OutboxEvent.State.DEAD):
                raise CommandError(f"Event {event} is {row.state}; only failed or dead events are replayed.")
            count = outbox_replay(event_ids=[event])
        else:
            states = tuple(s for s, wanted in (("failed", failed), ("dead", dead)) if wanted)
            count = outbox_replay(store=store_obj, states=states)
        sent = OutboxEvent.objects.filter(state=OutboxEvent.State.SENT)
        self.stdout.write(self.style.SUCCESS(f"Replayed {count} events ({sent.count()} sent in total)."))
