"""The review queue in the admin: held items oldest first with reasons beside the parties' data; approve or
reject behind a confirmation page with a required note; audit rows; automatic decisions; block lists."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from fraud.models import (
    Assessment,
    BlockListEntry,
    Decision,
    FraudDailySummary,
    FraudSettings,
    ReviewDecision,
)
from fraud.services import assessment_run, assessments_auto_decide, daily_summary_build
from tests.factories import StoreFactory
from tests.fixtures_fraud import conversion, person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fraud_cache_clear")]


def _held(store, reference="2001", email="quick@mailinator.com") -> Assessment:
    assessment = assessment_run(store_id=store.pk, subject=conversion(
        reference, person(email=email, ip="198.51.100.8"), person(email="jane@example.com", customer_id="3")))
    assert assessment.decision == Decision.HOLD
    return assessment


def test_queue_lists_held_items_oldest_first_with_reasons_and_both_parties(staff_client):
    store = StoreFactory()
    _held(store, "2001", "newer@mailinator.com")
    older = _held(store, "2002", "older@mailinator.com")
    Assessment.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))

    page = staff_client.get("/admin/fraud/assessment/queue/").content.decode()

    assert page.index("older@mailinator.com") < page.index("newer@mailinator.com")
    assert "disposable-inbox provider" in page
    assert "jane@example.com" in page  # the advocate's side
    assert "stays held until someone decides" in page


def test_queue_states_the_stores_automatic_decision(staff_client):
    store = StoreFactory()
    FraudSettings.objects.create(store=store, auto_decision_after_days=5, auto_decision=Decision.REJECT)
    _held(store)
    page = staff_client.get("/admin/fraud/assessment/queue/").content.decode()
    assert "Will be rejected automatically" in page
    assert "after 5 day(s)" in page


def test_decision_needs_a_confirmation_page_and_a_note(staff_client):
    assessment = _held(StoreFactory())
    url = f"/admin/fraud/assessment/{assessment.pk}/decide/"

    confirm = staff_client.get(url + "?decision=approve")
    assert confirm.status_code == 200 and b"Yes, approve" in confirm.content
    no_note = staff_client.post(url, {"decision": "approve", "confirm": "yes", "note": ""})
    assert no_note.status_code == 200  # the page again, with the error
    assessment.refresh_from_db()
    assert assessment.decision == Decision.HOLD

    done = staff_client.post(url, {"decision": "approve", "confirm": "yes", "note": "Known customer, checked"})
    assert done.status_code == 302
    assessment.refresh_from_db()
    assert assessment.decision == Decision.APPROVE
    assert assessment.decided_by == "reviewer"
    audit = ReviewDecision.objects.get(assessment=assessment)
    assert (audit.from_decision, audit.to_decision, audit.user, audit.note) == (
        Decision.HOLD, Decision.APPROVE, staff_client.user, "Known customer, checked")


def test_reject_through_the_admin_is_audited(staff_client):
    assessment = _held(StoreFactory())
    staff_client.post(f"/admin/fraud/assessment/{assessment.pk}/decide/",
                      {"decision": "reject", "confirm": "yes", "note": "Throwaway inbox"})
    assessment.refresh_from_db()
    assert assessment.decision == Decision.REJECT
    assert assessment.decisions.get().to_decision == Decision.REJECT


def test_auto_decision_after_the_stores_days(staff_client):
    store = StoreFactory()
    FraudSettings.objects.create(store=store, auto_decision_after_days=3, auto_decision=Decision.APPROVE)
    assessment = _held(store)
    assert assessment.auto_decide_at is not None

    assert assessments_auto_decide(now=timezone.now() + timedelta(days=2)) == 0
    assert assessments_auto_decide(now=timezone.now() + timedelta(days=4)) == 1
    assessment.refresh_from_db()
    assert (assessment.decision, assessment.decided_by) == (Decision.APPROVE, "auto")
    assert "held longer than 3 day(s)" in assessment.decisions.get().note


def test_no_auto_decision_without_a_store_setting():
    assessment = _held(StoreFactory())
    assert assessment.auto_decide_at is None
    assert assessments_auto_decide(now=timezone.now() + timedelta(days=400)) == 0


def test_thresholds_are_per_store():
    lenient, strict = StoreFactory(), StoreFactory()
    FraudSettings.objects.create(store=lenient, hold_score=80)
    FraudSettings.objects.create(store=strict, hold_score=10, reject_score=40)
    who, advocate = person(email="q@mailinator.com"), person(email="a@example.com", customer_id="1")
    assert assessment_run(store_id=lenient.pk, subject=conversion("1", who, advocate)).decision == Decision.APPROVE
    assert assessment_run(store_id=strict.pk, subject=conversion("1", who, advocate)).decision == Decision.REJECT


def test_csv_import_keeps_good_rows_and_reports_bad_ones(staff_client):
    store = StoreFactory()
    csv_text = ("kind,value,reason\nemail,Bad.Guy+x@gmail.com,chargebacks\ndomain,@Spam.Example,\n"
                "colour,red,nonsense\nip,,empty\nreferral_code, leak20 ,posted on a coupon site\nemail,not-an-email,\n")
    response = staff_client.post("/admin/fraud/blocklistentry/import/", {
        "store": store.pk, "file": SimpleUploadedFile("block.csv", csv_text.encode(), content_type="text/csv")})
    assert response.status_code == 200
    page = response.content.decode()
    assert "line 4" in page and "line 5" in page and "line 7" in page
    values = set(BlockListEntry.objects.filter(store=store).values_list("kind", "value"))
    assert values == {("email", "badguy@gmail.com"), ("domain", "spam.example"), ("referral_code", "LEAK20")}
    assert BlockListEntry.objects.filter(store=store).first().created_by == "reviewer"


def test_import_blocklist_command(tmp_path, capsys):
    store = StoreFactory()
    path = tmp_path / "block.csv"
    path.write_text("ip,198.51.100.66,botnet\nbogus\n", encoding="utf-8")
    call_command("import_blocklist", store.store_hash, str(path))
    out = capsys.readouterr()
    assert "1 added" in out.out and "line 2" in out.err
    assert BlockListEntry.objects.filter(store=store, kind="ip", value="198.51.100.66").exists()


def test_block_list_admin_normalises_what_staff_type(staff_client):
    store = StoreFactory()
    staff_client.post("/admin/fraud/blocklistentry/add/", {
        "store": store.pk, "kind": "email", "value": "J.Smith+promo@GoogleMail.com", "reason": "abuse"})
    assert BlockListEntry.objects.get(store=store).value == "jsmith@gmail.com"


def test_daily_summary_lists_top_ips_and_leaked_codes(staff_client):
    store = StoreFactory()
    advocate = person(email="lee@example.com", customer_id="5")
    for number in range(5):
        who = person(email=f"shopper{number}@example.net", ip="192.0.2.1")
        assessment_run(store_id=store.pk, subject=conversion(str(3000 + number), who, advocate,
                                                            coupon_codes=("LEAK20",), referred_by_link=False))
    summary = daily_summary_build(store_id=store.pk, day=timezone.localdate())
    assert summary.top_ips[0] == {"value": "192.0.2.1", "count": 5}
    assert summary.leaked_codes == [{"code": "LEAK20", "customers": 5}]
    assert summary.held_count >= 1
    page = staff_client.get("/admin/fraud/frauddailysummary/").content.decode()
    assert "LEAK20 (5)" in page
    assert FraudDailySummary.objects.count() == 1


@pytest.mark.parametrize("url", [
    "/admin/fraud/assessment/", "/admin/fraud/signal/", "/admin/fraud/blocklistentry/",
    "/admin/fraud/blocklistentry/import/", "/admin/fraud/fraudsettings/", "/admin/fraud/rulesetting/",
    "/admin/fraud/frauddailysummary/", "/admin/fraud/assessment/queue/",
])
def test_fraud_admin_pages_are_registered(staff_client, url):
    _held(StoreFactory())
    assert staff_client.get(url).status_code == 200


def test_beat_tasks_are_scheduled_and_run(settings):
    from fraud.tasks.review import fraud_auto_decide, fraud_daily_summary

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"fraud.auto_decide", "fraud.daily_summary"} <= tasks
    assert fraud_auto_decide.delay().get() == 0
    assert fraud_daily_summary.delay().get() == 0
