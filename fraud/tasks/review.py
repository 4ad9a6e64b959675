"""Celery beat wrappers: automatic decisions on long-held items, and the daily fraud summary."""
from celery import shared_task

from fraud.services import assessments_auto_decide, daily_summaries_build


@shared_task(name="fraud.auto_decide")
def fraud_auto_decide() -> int:
    return assessments_auto_decide()


@shared_task(name="fraud.daily_summary")
def fraud_daily_summary() -> int:
    return daily_summaries_build()
