"""The demo hook plays both fraud stories through the sandbox and the review queue explains them."""
import pytest

from fraud.models import Decision
from sandbox.demo.fraud import play_demo_fraud

pytestmark = pytest.mark.usefixtures("fraud_cache_clear")


def test_demo_catches_the_gmail_alias_self_referral_and_the_leaked_code(fraud_store, staff_client):
    result = play_demo_fraud(store=fraud_store)

    assert result["self_referral"]["decision"] == Decision.REJECT
    assert any("janedoe@gmail.com" in reason for reason in result["self_referral"]["reasons"])
    assert result["leaked_code"]["decision"] == Decision.HOLD
    assert any("LEAKEDFRIEND20" in reason and "3 other customers" in reason
               for reason in result["leaked_code"]["reasons"])
    page = staff_client.get("/admin/fraud/assessment/queue/").content.decode()
    assert "LEAKEDFRIEND20" in page
    assert "janedoe@gmail.com" in page
