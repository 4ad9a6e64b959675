"""Real-world bad input, table-driven: each case states the expected decision and the reasons (rules hit)."""
from dataclasses import dataclass, field

import pytest

from fraud.models import BlockListEntry, Decision
from fraud.services import assessment_run, block_list_add
from fraud.subjects import Person
from tests.factories import StoreFactory
from tests.fixtures_fraud import conversion, person

pytestmark = pytest.mark.usefixtures("fraud_cache_clear")

OFFICE_IP = "203.0.113.50"


@dataclass
class Case:
    name: str
    friend: Person
    advocate: Person
    decision: str
    rules: set[str]
    absent: set[str] = field(default_factory=set)
    evidence: str = ""
    earlier_friends: list[Person] = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)


CASES = [
    Case("gmail alias with dots and +tag across gmail.com/googlemail.com",
         friend=person(email="Jane.Doe+ref@gmail.com", ip="198.51.100.2"),
         advocate=person(email="janedoe@googlemail.com", customer_id="7", ip="198.51.100.1"),
         decision=Decision.REJECT, rules={"self_referral"}, evidence="janedoe@gmail.com"),
    Case("outlook +tag is the same mailbox",
         friend=person(email="Sam+deals@Outlook.com"), advocate=person(email="sam@outlook.com", customer_id="8"),
         decision=Decision.REJECT, rules={"self_referral"}),
    Case("yahoo -keyword alias is similar, not proof (mary-jane is a real name too)",
         friend=person(email="sam-promo@yahoo.com"), advocate=person(email="sam@yahoo.com", customer_id="8"),
         decision=Decision.HOLD, rules={"self_referral_signals"}, absent={"self_referral"}, evidence="alias"),
    Case("same BigCommerce customer id",
         friend=person(email="other@example.com", customer_id="42"),
         advocate=person(email="adv@example.com", customer_id="42"),
         decision=Decision.REJECT, rules={"self_referral"}, evidence="customer id 42"),
    Case("disposable email domain",
         friend=person(email="quick@mailinator.com", ip="198.51.100.3"),
         advocate=person(email="ada@example.com", customer_id="9"),
         decision=Decision.HOLD, rules={"disposable_email"}, evidence="mailinator.com"),
    Case("the same address written two ways",
         friend=person(email="friend@example.com", address="123 N. Main St #4"),
         advocate=person(email="ada@example.com", customer_id="9", address="123 North Main Street, Apt 4"),
         decision=Decision.HOLD, rules={"self_referral_signals"}, evidence="same shipping address"),
    Case("office IP shared by honest colleagues is soft, never a hard reject",
         friend=person(email="bo@corp.example", ip=OFFICE_IP, ua="Firefox/130", device="dev-bo"),
         advocate=person(email="al@corp.example", customer_id="10", ip=OFFICE_IP, ua="Chrome/129", device="dev-al"),
         earlier_friends=[person(email=f"c{i}@corp.example", ip=OFFICE_IP, ua=f"Safari/{i}") for i in range(3)],
         decision=Decision.APPROVE, rules={"same_ip_as_advocate", "shared_ip"}, absent={"self_referral"}),
    Case("household: same address, different emails and devices → hold at most",
         friend=person(email="partner@example.org", device="dev-2", ip="198.51.100.9", ua="Safari/17",
                       address="9 Oak Avenue, Springfield 62701"),
         advocate=person(email="spouse@example.org", customer_id="11", device="dev-1", ip="198.51.100.9",
                         ua="Chrome/129", address="9 oak ave springfield 62701"),
         decision=Decision.HOLD, rules={"self_referral_signals", "same_ip_as_advocate"}, absent={"self_referral"}),
    Case("unicode email is compared, not crashed on",
         friend=person(email="Zoë.O'Brien+x@gmail.com", ip="198.51.100.4"),
         advocate=person(email="zoe.obrien@gmail.com", customer_id="12"),
         decision=Decision.APPROVE, rules=set(), absent={"self_referral"}),
    Case("very long email",
         friend=person(email=("a" * 240) + "@example.com", ip="198.51.100.5"),
         advocate=person(email="ada@example.com", customer_id="13"),
         decision=Decision.APPROVE, rules=set()),
    Case("missing IP: no IP rules, no crash",
         friend=person(email="noip@example.com", ip=""),
         advocate=person(email="ada@example.com", customer_id="14", ip=""),
         decision=Decision.APPROVE, rules=set(), absent={"same_ip_as_advocate", "shared_ip"}),
    Case("existing customer with earlier paid orders",
         friend=person(email="loyal@example.com"), advocate=person(email="ada@example.com", customer_id="15"),
         kwargs={"prior_paid_orders": 2}, decision=Decision.HOLD, rules={"existing_customer"},
         evidence="2 paid order"),
    Case("same device and browser as the advocate",
         friend=person(email="new@example.com", device="dev-9", ip="198.51.100.6", ua="Chrome/129"),
         advocate=person(email="ada@example.com", customer_id="16", device="dev-9", ip="198.51.100.6",
                         ua="Chrome/129"),
         decision=Decision.HOLD, rules={"self_referral_signals"}, evidence="same device"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_world_case_gets_the_expected_decision_and_reasons(case: Case):
    store = StoreFactory()
    for number, earlier in enumerate(case.earlier_friends):
        assessment_run(store_id=store.pk, subject=conversion(str(900 + number), earlier, case.advocate))
    assessment = assessment_run(store_id=store.pk, subject=conversion("1000", case.friend, case.advocate,
                                                                      **case.kwargs))
    rules = {hit["rule"] for hit in assessment.hits}
    assert assessment.decision == case.decision, assessment.hits
    assert case.rules <= rules, assessment.hits
    assert not (case.absent & rules), assessment.hits
    if case.evidence:
        assert any(case.evidence in hit["evidence"] for hit in assessment.hits), assessment.hits
    assert all(hit["evidence"] for hit in assessment.hits)


@pytest.mark.django_db
def test_block_listed_domain_rejects_with_the_entry_as_reason():
    store = StoreFactory()
    block_list_add(store_id=store.pk, kind=BlockListEntry.Kind.DOMAIN, value="@Spam.Example", reason="chargebacks")
    assessment = assessment_run(store_id=store.pk, subject=conversion(
        "5", person(email="x@spam.example"), person(email="ada@example.com", customer_id="1")))
    assert assessment.decision == Decision.REJECT
    assert assessment.hits[0]["rule"] == "block_list"
    assert "spam.example" in assessment.hits[0]["evidence"] and "chargebacks" in assessment.hits[0]["evidence"]


@pytest.mark.django_db
def test_block_listed_email_matches_its_aliases():
    store = StoreFactory()
    block_list_add(store_id=store.pk, kind=BlockListEntry.Kind.EMAIL, value="Bad.Guy@gmail.com")
    assessment = assessment_run(store_id=store.pk, subject=conversion(
        "6", person(email="badguy+1@googlemail.com"), person(email="ada@example.com", customer_id="1")))
    assert assessment.decision == Decision.REJECT
