"""BigCommerce webhooks, in and out of the store's API, one module per job:

- `models`: the hooks we registered per store (WebhookSubscription) and every delivery received (WebhookDelivery);
- `registration`: register and repair a store's hooks in BigCommerce (webhooks_ensure);
- `inbox`: verify and record one inbound call and decide the answer; `views` and `urls`: its HTTP edge;
- `signatures`: BigCommerce's Standard Webhooks signature; `store_lookup`: the store a webhook URL names;
- `delivery_insert`: the inbox's one INSERT with its dedupe claim; `delivery_queue`: batches ids for the worker;
- `handlers`: the registry other apps fill with what to run per scope; `processing`: run stored deliveries,
  record the outcome, retry, dead-letter and replay;
- `admin`: the read-only admin of both models, with replay.

The Celery tasks are in storefront.tasks.webhooks (every storefront task lives in storefront.tasks).
"""
