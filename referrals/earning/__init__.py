"""Earning and reversal events owed to Friendbuy as custom events (POST /v1/event/custom), each once per
store and deduplication id, each switchable per store (referrals.models.EarningSettings)."""
