"""Roles: setup_roles creates "Support staff" (view everything, act) and "Auditor" (view only); the audit
log is browsable read-only; merchants stay confined to their store by the load-page session."""
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from referrals.models import StaffAuditLog
from referrals.support.roles import AUDITOR_GROUP, SUPPORT_GROUP, can_run_actions, can_view_support

pytestmark = pytest.mark.django_db


def test_setup_roles_creates_both_groups_idempotently(capsys):
    call_command("setup_roles")
    call_command("setup_roles")
    assert "Support staff:" in capsys.readouterr().out
    support, auditor = Group.objects.get(name=SUPPORT_GROUP), Group.objects.get(name=AUDITOR_GROUP)
    support_codes = set(support.permissions.values_list("codename", flat=True))
    auditor_codes = set(auditor.permissions.values_list("codename", flat=True))
    assert {"run_support_actions", "use_support_lookup", "view_reward", "view_ordersnapshot", "view_assessment",
            "view_couponcode", "view_webhookdelivery", "view_staffauditlog"} <= support_codes
    assert all(c.startswith("view_") or c == "use_support_lookup" for c in auditor_codes)
    assert "run_support_actions" not in auditor_codes


def test_groups_exist_after_migrate():
    assert Group.objects.filter(name__in=[SUPPORT_GROUP, AUDITOR_GROUP]).count() == 2


def test_role_checks(support_user, auditor_user, django_user_model):
    nobody = django_user_model.objects.create_user(username="n", password="x", is_staff=True)
    assert can_run_actions(support_user) and can_view_support(support_user)
    assert can_view_support(auditor_user) and not can_run_actions(auditor_user)
    assert not can_view_support(nobody)


def test_staff_without_a_role_cannot_open_the_lookup(client, django_user_model):
    user = django_user_model.objects.create_user(username="plain", password="x", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/support/lookup/").status_code == 403


def test_audit_log_is_browsable_read_only(auditor_client, support_user, build):
    entry = StaffAuditLog.objects.create(user=support_user, username="sam.support", store=build.store,
                                         action="resend_event", target="outbox:1", reason="r", result="ok")
    assert auditor_client.get("/admin/referrals/staffauditlog/").status_code == 200
    assert auditor_client.get(f"/admin/referrals/staffauditlog/{entry.pk}/change/").status_code == 200
    assert auditor_client.get("/admin/referrals/staffauditlog/add/").status_code == 403
    assert auditor_client.post(f"/admin/referrals/staffauditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert StaffAuditLog.objects.filter(pk=entry.pk).exists()


def test_support_staff_can_not_edit_the_audit_log_either(support_client, support_user, build):
    entry = StaffAuditLog.objects.create(user=support_user, username="sam.support", action="x", target="y",
                                         reason="r", result="ok")
    response = support_client.post(f"/admin/referrals/staffauditlog/{entry.pk}/change/", {"reason": "changed"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "r"


def test_auditor_sees_the_lookup_without_action_links(auditor_client, build):
    order = build.order(10, email="friend@example.com")
    body = auditor_client.get("/admin/support/lookup/", {"store": build.store.pk, "order": order.bc_order_id}
                              ).content.decode()
    assert "Diagnosis" in body and "Link to a referral" not in body


def test_merchant_session_sees_only_its_own_store_reports(client, installed_store, load_app, build):
    load_app()
    build.order(10)  # another store's order
    body = client.get("/app/reports/").content.decode()
    assert installed_store.store_hash in body and build.store.store_hash not in body
