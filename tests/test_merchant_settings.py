"""The merchant's settings page: each form saves and applies a valid change, refuses an invalid one with a
message saying what to do, records who changed what, and refuses every write from a read-only user."""
from decimal import Decimal

import pytest

from coupons.models import CouponTemplate
from coupons.services import coupon_template_default
from fraud.models import FraudSettings, RuleSetting
from fraud.selectors import fraud_settings, rule_overrides
from fraud.store_settings import rule_choices_in_force
from referrals.merchant.access import ReadOnlyUser
from referrals.merchant.settings_services import program_switch
from referrals.models import SettingsChange, StoreSettings
from storefront.models import StorefrontSettings
from storefront.scripts import desired_scripts
from tests.factories import FriendbuyConnectionFactory

pytestmark = pytest.mark.django_db

URL = "/app/settings/"


def _reward_codes(**overrides):
    data = {"section": "reward_codes", "amount_source": "from_reward", "fixed_amount": "", "discount_kind": "from_reward",
            "min_spend": "0", "expiry_days": "90", "prefix": "FB", "product_ids": "", "category_ids": "",
            "one_use_per_customer": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_settings_page_shows_every_section_with_plain_help(client, installed_store):
    html = client.get(URL).content.decode()
    for title in ("Reward codes", "Fraud checks", "Amount sent to Friendbuy", "Referral program",
                  "How long the app keeps its logs", "No changes yet"):
        assert title in html
    assert "The cart must reach this amount before the code works" in html


def test_reward_code_rules_are_saved_applied_and_audited(client, installed_store):
    response = client.post(URL, _reward_codes(min_spend="25", prefix="ref", free_shipping="on",
                                              product_ids="12, 15", amount_source="fixed", fixed_amount="5",
                                              discount_kind="fixed"), follow=True)
    assert response.status_code == 200 and "Reward codes saved." in response.content.decode()
    template = coupon_template_default(store=installed_store)
    assert (template.min_spend, template.prefix, template.free_shipping, template.product_ids) == (
        Decimal("25"), "REF", True, [12, 15])
    assert (template.amount_source, template.fixed_amount, template.revision) == ("fixed", Decimal("5"), 1)
    change = SettingsChange.objects.get()
    assert change.section == "reward_codes" and change.user_email
    assert {"label": "Minimum spend", "field": "min_spend", "before": "0.00", "after": "25.00"} in change.changes
    html = response.content.decode()
    assert "Minimum spend: 0.00 → 25.00" in html and change.user_email in html


@pytest.mark.parametrize(("overrides", "message"), [
    ({"prefix": "RE F!"}, "Use only letters, digits, - or _ in the prefix"),
    ({"product_ids": "12, shoes"}, "Enter product ids as whole numbers"),
    ({"amount_source": "fixed", "fixed_amount": ""}, "Enter the value every code should have"),
    ({"amount_source": "fixed", "fixed_amount": "150", "discount_kind": "percentage"},
     "A percentage can&#x27;t be more than 100."),
    ({"min_spend": "-1"}, "Ensure this value is greater than or equal to 0"),
])
def test_invalid_reward_code_rules_are_refused_with_the_reason(client, installed_store, overrides, message):
    response = client.post(URL, _reward_codes(**overrides))
    html = response.content.decode()
    assert response.status_code == 200 and message in html and "Nothing was saved" in html
    assert not SettingsChange.objects.exists()
    assert coupon_template_default(store=installed_store).revision == 0


def _fraud_data(store, **overrides):
    settings = fraud_settings(store_id=store.pk)
    data = {"section": "fraud", "hold_score": settings.hold_score, "reject_score": settings.reject_score}
    for name, choice in rule_choices_in_force(store=store).items():
        if choice.enabled:
            data[f"{name}__on"] = "on"
        data[f"{name}__weight"] = choice.weight
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_fraud_thresholds_and_rules_are_saved_applied_and_audited(client, installed_store):
    data = _fraud_data(installed_store, hold_score=40, reject_score=90, shared_ip__weight=25, disposable_email__on=None)
    response = client.post(URL, data, follow=True)
    assert "Fraud checks saved." in response.content.decode()
    settings = FraudSettings.objects.get(store=installed_store)
    assert (settings.hold_score, settings.reject_score) == (40, 90)
    # The assessments' cached config sees the change at once.
    overrides = rule_overrides(store_id=installed_store.pk)
    assert overrides["shared_ip"].weight == 25 and overrides["disposable_email"].enabled is False
    assert RuleSetting.objects.filter(store=installed_store).count() == 2
    labels = {item["label"] for item in SettingsChange.objects.get().changes}
    assert "The friend used a throwaway email address: on" in labels and "Hold score" in labels


def test_a_reject_score_not_above_the_hold_score_is_refused(client, installed_store):
    response = client.post(URL, _fraud_data(installed_store, hold_score=80, reject_score=60))
    assert "The reject score must be higher than the hold score." in response.content.decode()
    assert not FraudSettings.objects.filter(store=installed_store).exists()


def test_purchase_amount_choice_is_saved_and_audited(client, installed_store):
    response = client.post(URL, {"section": "purchase_amount", "purchase_amount_field": "total_inc_tax"}, follow=True)
    assert "Amount sent to Friendbuy saved." in response.content.decode()
    assert StoreSettings.objects.get(store=installed_store).purchase_amount_field == "total_inc_tax"
    assert SettingsChange.objects.get().changes[0]["after"] == "Order total including tax"


def test_an_unknown_purchase_amount_is_refused(client, installed_store):
    response = client.post(URL, {"section": "purchase_amount", "purchase_amount_field": "grand_total"})
    assert "Select a valid choice" in response.content.decode()
    assert not StoreSettings.objects.filter(store=installed_store, purchase_amount_field="grand_total").exists()


def test_switching_the_program_off_removes_the_scripts_and_on_brings_them_back(client, installed_store,
                                                                               django_capture_on_commit_callbacks):
    FriendbuyConnectionFactory(store=installed_store)
    assert desired_scripts(store=installed_store)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(URL, {"section": "program", "enabled": "off"}, follow=True)
    assert "The referral program is off" in response.content.decode() and callbacks
    assert StorefrontSettings.objects.get(store=installed_store).program_enabled is False
    assert desired_scripts(store=installed_store) == []
    client.post(URL, {"section": "program", "enabled": "on"})
    assert desired_scripts(store=installed_store)
    assert [c.changes[0]["after"] for c in SettingsChange.objects.order_by("id")] == [False, True]


def test_a_program_choice_that_is_neither_on_nor_off_is_refused(client, installed_store):
    response = client.post(URL, {"section": "program", "enabled": "maybe"})
    assert "Select a valid choice" in response.content.decode()
    assert not SettingsChange.objects.exists()


@pytest.mark.parametrize("data", [
    _reward_codes(min_spend="10"),
    {"section": "purchase_amount", "purchase_amount_field": "total_inc_tax"},
    {"section": "program", "enabled": "off"},
    {"section": "fraud", "hold_score": "10", "reject_score": "20"},
])
def test_a_read_only_store_user_reads_the_settings_but_every_save_is_403(client, installed_store, load_app, data):
    load_app(user_id=999, user_email="clerk@example.com")
    html = client.get(URL).content.decode()
    assert "Store user (view only)" in html and "Save reward codes" not in html and "<fieldset disabled>" in html
    assert client.post(URL, data).status_code == 403
    assert not SettingsChange.objects.exists()
    assert coupon_template_default(store=installed_store).min_spend == 0
    assert not StoreSettings.objects.filter(purchase_amount_field="total_inc_tax").exists()
    assert not StorefrontSettings.objects.filter(program_enabled=False).exists()


def test_the_service_refuses_a_read_only_user_too(installed_store):
    clerk = installed_store.users.create(bc_user_id=999, email="clerk@example.com", is_owner=False)
    with pytest.raises(ReadOnlyUser):
        program_switch(store=installed_store, store_user=clerk, enabled=False, labels={})
    assert CouponTemplate.objects.count() == 0
