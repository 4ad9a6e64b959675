"""Each rule hits on its evidence and explains itself; per-store rule settings switch, re-weight and harden."""
from decimal import Decimal

import pytest

from fraud import normalise
from fraud.models import Assessment, Decision, RuleSetting
from fraud.services import assessment_run
from fraud.subjects import Subject
from tests.factories import StoreFactory
from tests.fixtures_fraud import conversion, person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fraud_cache_clear")]
ADVOCATE = person(email="ada@example.com", customer_id="1", ip="198.51.100.1")


def _rules(assessment: Assessment) -> dict[str, dict]:
    return {hit["rule"]: hit for hit in assessment.hits}


def test_address_normalisation_folds_abbreviations_case_and_punctuation():
    assert normalise.address_text("123 North Main Street, Apt 4") == normalise.address_text("123 N. Main St #4")
    assert normalise.address_text("9 Oak Avenue Suite 2") == normalise.address_text("9 oak ave, ste. 2")
    assert normalise.address_hash("1 Elm Road") != normalise.address_hash("2 Elm Road")
    assert normalise.address_hash("") == ""


def test_disposable_domains_come_from_the_maintained_list_including_subdomains():
    assert normalise.is_disposable_domain("mailinator.com")
    assert normalise.is_disposable_domain("eu.mailinator.com")
    assert not normalise.is_disposable_domain("gmail.com")


def test_payment_fingerprint_from_card_or_token_never_from_test_transactions():
    card = {"credit_card": {"card_type": "visa", "card_last4": "4242", "card_expiry_month": 1,
                            "card_expiry_year": 2031}}
    assert len(normalise.payment_fingerprint([card])) == 64
    assert normalise.payment_fingerprint([{"payment_instrument_token": "tok_1"}]) != normalise.payment_fingerprint(
        [card])
    assert normalise.payment_fingerprint([{**card, "test": True}]) == ""


def test_duplicate_account_matches_an_earlier_referred_customer_by_payment_card():
    store = StoreFactory()
    assessment_run(store_id=store.pk, subject=conversion("1", person(email="one@example.com", payment="card-x"),
                                                         ADVOCATE))
    second = assessment_run(store_id=store.pk, subject=conversion(
        "2", person(email="two@example.com", payment="card-x"), ADVOCATE))
    assert "same payment card as earlier referred customer" in _rules(second)["duplicate_account"]["evidence"]
    assert second.decision == Decision.HOLD


def test_same_ip_and_browser_on_several_referrals_is_stronger_than_ip_alone():
    store = StoreFactory()
    for number in range(2):
        assessment_run(store_id=store.pk, subject=conversion(
            str(10 + number), person(email=f"f{number}@example.com", ip="192.0.2.7", ua="Bot/1"), ADVOCATE))
    third = assessment_run(store_id=store.pk, subject=conversion(
        "12", person(email="f3@example.com", ip="192.0.2.7", ua="Bot/1"), ADVOCATE))
    hits = _rules(third)
    assert "shared_ip_ua" in hits and "shared_ip" not in hits  # IP alone needs 3 others
    assert not hits["shared_ip_ua"]["hard"]


def test_referral_velocity_per_advocate_per_day():
    store = StoreFactory()
    for number in range(5):
        last = assessment_run(store_id=store.pk, subject=conversion(
            str(20 + number), person(email=f"v{number}@example.com"), ADVOCATE))
        assert "referral_velocity" not in _rules(last)
    sixth = assessment_run(store_id=store.pk, subject=conversion("30", person(email="v6@example.com"), ADVOCATE))
    assert "6 referrals today (limit 5)" in _rules(sixth)["referral_velocity"]["evidence"]


def test_leaked_code_used_by_many_distinct_customers():
    store = StoreFactory()
    for number in range(3):
        assessment_run(store_id=store.pk, subject=conversion(
            str(40 + number), person(email=f"l{number}@example.com"), ADVOCATE, coupon_codes=("LEAK20",)))
    fourth = assessment_run(store_id=store.pk, subject=conversion(
        "44", person(email="l4@example.com"), ADVOCATE, coupon_codes=("leak20",)))
    assert "already used by 3 other customers" in _rules(fourth)["leaked_code"]["evidence"]


def _reward(reference: str, email: str, amount: str = "10") -> Subject:
    return Subject(subject_type=Assessment.SubjectType.REWARD, reference=reference,
                   who=person(email=email, customer_id="77"), amount=Decimal(amount))


def test_reward_allowance_per_customer_per_month():
    store = StoreFactory()
    RuleSetting.objects.create(store=store, rule="reward_allowance", weight=50, threshold=2)
    RuleSetting.objects.create(store=store, rule="reward_velocity", enabled=False, weight=0)
    decisions = [assessment_run(store_id=store.pk, subject=_reward(f"r{n}", "ada@example.com")) for n in range(3)]
    assert [d.decision for d in decisions] == [Decision.APPROVE, Decision.APPROVE, Decision.HOLD]
    assert "reward allowance exceeded: 3 rewards in 30 days" in _rules(decisions[2])["reward_allowance"]["evidence"]


def test_suspicious_redemption_code_of_someone_else_and_revoked_code_tried_again():
    store = StoreFactory()
    owner = person(email="owner@example.com", customer_id="5")
    used = assessment_run(store_id=store.pk, subject=Subject(
        subject_type=Assessment.SubjectType.REDEMPTION, reference="CODE1:9", who=person(email="x@example.com",
                                                                                        customer_id="6"),
        code_owner=owner, coupon_codes=("CODE1",), code_state="active"))
    assert "used by" in _rules(used)["suspicious_redemption"]["evidence"]
    retried = assessment_run(store_id=store.pk, subject=Subject(
        subject_type=Assessment.SubjectType.REDEMPTION, reference="CODE2:10", who=person(email="owner@example.com",
                                                                                         customer_id="5"),
        code_owner=owner, coupon_codes=("CODE2",), code_state="disabled"))
    hit = _rules(retried)["suspicious_redemption"]
    assert "disabled and was tried again" in hit["evidence"] and hit["weight"] == 80


def test_rule_settings_switch_off_reweight_and_harden_per_store():
    off, hard = StoreFactory(), StoreFactory()
    RuleSetting.objects.create(store=off, rule="disposable_email", enabled=False, weight=50)
    RuleSetting.objects.create(store=hard, rule="disposable_email", weight=5, hard=True)
    who = person(email="q@mailinator.com")
    assert assessment_run(store_id=off.pk, subject=conversion("1", who, ADVOCATE)).hits == []
    hardened = assessment_run(store_id=hard.pk, subject=conversion("1", who, ADVOCATE))
    assert hardened.decision == Decision.REJECT and hardened.score == 5


def test_assessment_is_unique_per_subject_and_not_reopened():
    store = StoreFactory()
    first = assessment_run(store_id=store.pk, subject=conversion("1", person(email="q@mailinator.com"), ADVOCATE))
    again = assessment_run(store_id=store.pk, subject=conversion("1", person(email="clean@example.com"), ADVOCATE))
    assert again.pk == first.pk and again.decision == Decision.HOLD
