"""Celery wrapper of the nightly reports job (beat: referrals-analytics-sync): Friendbuy analytics sync,
then the rebuild of the last weeks of the reports' daily rollup."""
from celery import shared_task

from referrals.reporting.friendbuy_analytics import analytics_sync_all
from referrals.reporting.rollup import reports_rollup_recent


@shared_task(name="referrals.analytics_sync_all")
def analytics_sync_all_task(days: int = 2) -> dict:
    synced = analytics_sync_all(days=days)
    rolled = reports_rollup_recent()
    return {"analytics": synced, "rollup_rows": sum(rolled.values())}
