"""Scrub the secrets already stored in the outbound call log by earlier versions.

Before redaction by value, the hook registration calls kept each store's webhook secret in their request and
response bodies (`{"headers": {"X-Webhook-Secret": …}}`), readable by anyone who may read the call log. New
rows are scrubbed as they are written (storefront.redaction); this rewrites the old ones, per store, for
every secret the store has. Operators should still rotate a secret that was readable.
"""
from django.db import migrations
from django.db.models import Q

from storefront.redaction import scrub, scrub_data

BATCH = 500


def scrub_call_log(apps, schema_editor):
    Store = apps.get_model("storefront", "Store")
    OutboundCall = apps.get_model("storefront", "OutboundCall")
    connections = {}
    if apps.is_installed("referrals"):
        FriendbuyConnection = apps.get_model("referrals", "FriendbuyConnection")
        connections = {c.store_id: c for c in FriendbuyConnection.objects.all()}
    for store in Store.objects.all():
        connection = connections.get(store.pk)
        secrets = [store.access_token, store.webhook_secret]
        if connection is not None:
            secrets += [connection.api_key, connection.api_secret, connection.webhook_secret, connection.access_token]
        secrets = [value for value in secrets if value and len(value) >= 8]
        if not secrets:
            continue
        match = Q()
        for value in secrets:
            match |= Q(request_body__icontains=value) | Q(response_body__icontains=value) | Q(path__contains=value)
            match |= Q(error__contains=value)
        for call in OutboundCall.objects.filter(store_id=store.pk).filter(match).iterator(chunk_size=BATCH):
            call.request_body = scrub_data(call.request_body, secrets)
            call.response_body = scrub_data(call.response_body, secrets)
            call.path, call.error = scrub(call.path, secrets), scrub(call.error, secrets)
            call.save(update_fields=["request_body", "response_body", "path", "error"])


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0005_rejected_deliveries_hold_no_key"),
        ("referrals", "0001_initial"),
    ]

    operations = [migrations.RunPython(scrub_call_log, migrations.RunPython.noop)]
