"""Shared fixtures. Each area's fixtures live in tests/fixtures_<area>.py and are registered here."""
import pytest

from storefront import rate_windows

pytest_plugins: list[str] = [
    "tests.fixtures_celery", "tests.fixtures_friendbuy", "tests.fixtures_install",
    "tests.fixtures_bigcommerce",
    "tests.fixtures_lifecycle",
    "tests.fixtures_storefront",
    "tests.fixtures_rewards",
    "tests.fixtures_fraud",
    "tests.fixtures_support",
    "tests.fixtures_health",
    "tests.fixtures_browser",
]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """Every test talks only to the in-process sandbox (no network) and waits for no retry."""
    settings.HTTP_RETRY = {"max_attempts": 5, "base_delay": 0.0, "max_delay": 0.0}


@pytest.fixture(autouse=True)
def _no_remembered_rate_budgets():
    """BigCommerce rate budgets start unknown, as in a fresh process (store hashes repeat across tests)."""
    from storefront.rate_budget import rate_budgets_clear

    rate_budgets_clear()


@pytest.fixture(autouse=True)
def _no_remembered_webhook_stores():
    """The webhook inbox's per-process store memory starts empty, as in a fresh process."""
    from storefront.webhooks.store_lookup import webhook_stores_forget

    webhook_stores_forget()


@pytest.fixture
def rate_windows_pinned(monkeypatch):
    """The rate limits count in fixed windows (widget throttles, unauthenticated inbound calls): a flood
    that crossed a minute boundary would start a fresh window halfway. Pin their clocks mid-window."""
    monkeypatch.setattr(rate_windows, "rate_window_now", lambda: 1_800_000_030.0)
