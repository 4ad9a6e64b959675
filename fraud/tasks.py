"""Celery beat wrappers: automatic decisions on long-held items, and the daily fraud summary."""
from celery import shared_task


@shared_task(name="fraud.auto_decide")
def fraud_auto_decide() -> int:
    from .services import assessments_auto_decide

    return assessments_auto_decide()


@shared_task(name="fraud.daily_summary")
def fraud_daily_summary() -> int:
    from .services import daily_summaries_build

    return daily_summaries_build()
