"""Roles on every write in the admin: an Auditor (read-only) runs nothing, Support staff only the support
writes, operators (superusers) everything — exactly `referrals.support.roles.WRITE_MATRIX`, which the README's
"Roles" table shows. The walks below fail on any admin action, support action or custom admin page that
the matrix does not list, so a new one cannot arrive without its row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import URLResolver, reverse

from fraud.models import Assessment
from referrals.models import CustomerIdentity, FriendbuyDelivery, OutboxEvent, StaffAuditLog
from referrals.support import roles
from referrals.support import targets as support_targets
from sandbox.friendbuy import world as fb_world
from storefront.models import WebhookDelivery

from .test_privacy import _erasable

NO_ROLE = "Staff without a role"


@pytest.fixture
def operator_user(db):
    return get_user_model().objects.create_superuser("olga.operator", "o@example.com", "pw-for-tests-1")


@pytest.fixture
def staff(operator_user, support_user, auditor_user):
    """Each role's user, and a staff user in no group (who may not even read)."""
    nobody = get_user_model().objects.create_user("nick.norole", password="pw-for-tests-1", is_staff=True)
    return {roles.OPERATOR: operator_user, roles.SUPPORT_GROUP: support_user, roles.AUDITOR_GROUP: auditor_user,
            NO_ROLE: nobody}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _allowed(key: str, role: str) -> bool:
    return role == roles.OPERATOR or role in roles.WRITE_MATRIX[key][1]


# --- the reproduction ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_auditor_posting_erase_customers_erases_nothing(lc_store, lc_merchant, auditor_client):
    customer, _order = _erasable(lc_store)
    identity = CustomerIdentity.objects.get(bc_customer_id=customer["id"])
    form = {"action": "erase_customers", ACTION_CHECKBOX_NAME: [identity.pk], "confirm": "yes"}
    assert auditor_client.post("/admin/referrals/customeridentity/", form).status_code == 403
    identity.refresh_from_db()
    assert identity.email == "cy@example.com" and identity.erased_at is None
    assert not OutboxEvent.objects.filter(kind="erasure").exists()
    assert fb_world.deletions(lc_merchant) == []


@pytest.mark.django_db(transaction=True)
def test_support_staff_may_not_erase_either_but_an_operator_may(lc_store, lc_merchant, support_client,
                                                              operator_user):
    customer, _order = _erasable(lc_store)
    identity = CustomerIdentity.objects.get(bc_customer_id=customer["id"])
    form = {"action": "erase_customers", ACTION_CHECKBOX_NAME: [identity.pk], "confirm": "yes"}
    assert support_client.post("/admin/referrals/customeridentity/", form).status_code == 403
    assert fb_world.deletions(lc_merchant) == []
    assert _client(operator_user).post("/admin/referrals/customeridentity/", form).status_code == 302
    identity.refresh_from_db()
    assert identity.erased_at is not None and fb_world.deletions(lc_merchant)


# --- every admin changelist action -----------------------------------------------------------------------


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _action_key(model, name: str) -> str:
    return "*.delete_selected" if name == "delete_selected" else f"{model._meta.label_lower}.{name}"


def _record_calls(monkeypatch, model_admin, name: str, calls: list) -> None:
    """Stand the action in with one that records who ran it (same permissions, so the same filtering)."""
    original = model_admin.get_action(name)[0]

    def recorded(*args):
        request = args[-2]
        calls.append((type(model_admin).__name__, name, request.user.username))

    recorded.allowed_permissions = getattr(original, "allowed_permissions", ())
    recorded.short_description = getattr(original, "short_description", name)
    if name in admin.site._actions and not hasattr(type(model_admin), name):
        monkeypatch.setitem(admin.site._actions, name, recorded)
    else:
        assert isinstance(name, str) and hasattr(type(model_admin), name), (
            f"{type(model_admin).__name__}.actions should name methods, so the walk can reach {name}")
        monkeypatch.setattr(type(model_admin), name, recorded)


@pytest.mark.django_db
def test_every_admin_action_is_offered_and_runs_for_exactly_the_roles_in_the_matrix(staff, monkeypatch):
    seen, mismatches = set(), []
    for model, model_admin in admin.site._registry.items():
        declared = [a for a in (model_admin.actions or ()) if isinstance(a, str) or callable(a)]
        offered_to_operator = model_admin.get_actions(_request(staff[roles.OPERATOR]))
        for action in declared:
            name = action if isinstance(action, str) else action.__name__
            if name not in offered_to_operator:
                mismatches.append(f"{model._meta.label}.{name}: declared but not even an operator may run it")
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for name in offered_to_operator:
            key = _action_key(model, name)
            seen.add(key)
            if key not in roles.WRITE_MATRIX:
                mismatches.append(f"{key}: not in referrals.support.roles.WRITE_MATRIX (add its row, and the README's)")
                continue
            calls: list = []
            with monkeypatch.context() as patch:
                _record_calls(patch, model_admin, name, calls)
                for role, user in staff.items():
                    offered = name in model_admin.get_actions(_request(user))
                    # Across the whole (maybe empty) list: Django wants a selection posted, not which one.
                    response = _client(user).post(changelist, {"action": name, "index": "0", "select_across": "1",
                                                               ACTION_CHECKBOX_NAME: ["0"]})
                    ran = (type(model_admin).__name__, name, user.username) in calls
                    expected = _allowed(key, role)
                    refused = response.status_code == 403
                    if (offered, ran, not refused) != (expected, expected, expected):
                        mismatches.append(f"{key} as {role}: offered={offered} ran={ran} HTTP {response.status_code}"
                                          f" (expected {'allowed' if expected else 'refused'})")
    stale = {k for k in roles.WRITE_MATRIX if not k.startswith(("support:", "page:"))} - seen
    assert not stale, f"WRITE_MATRIX lists admin actions that no longer exist: {sorted(stale)}"
    assert not mismatches, "\n".join(mismatches)


# --- every support action (the lookup page's /admin/support/action/<name>/<target>/) -----------------------


def _support_targets(build) -> dict[str, int]:
    """One target per action, each in a state where the action is refused by the domain (so running it for
    real changes nothing): the role check comes first, the domain's own refusal proves it was reached."""
    order = build.order(10, paid=False)
    sent = build.purchase_event(order)
    issued = build.reward("RW-ISSUED", state="issued", code="ISSUED1")
    pending = build.reward("RW-PENDING", state="pending")
    hook = WebhookDelivery.objects.create(store=build.store, scope="store/order/created", resource_id="10",
                                          valid=False, status="rejected")
    fb = FriendbuyDelivery.objects.create(store=build.store, kind="webhook", public_id="p", valid=False, body="{}")
    issued.coupon.state = "disabled"
    issued.coupon.save()
    return {"resend_event": sent.pk, "replay_webhook": hook.pk, "replay_friendbuy": fb.pk,
            "reissue_code": issued.pk, "revoke_code": pending.pk, "revoke_coupon": issued.coupon.pk,
            "approve_reward": issued.pk, "reject_reward": issued.pk, "link_order": order.pk}


@pytest.mark.django_db
def test_every_support_action_is_in_the_matrix_and_refused_to_the_auditor_on_get_and_post(staff, build):
    assert {f"support:{name}" for name in support_targets.ACTIONS} == {
        k for k in roles.WRITE_MATRIX if k.startswith("support:")}
    targets = _support_targets(build)
    assert set(targets) == set(support_targets.ACTIONS), "give the new support action a target above"
    mismatches = []
    for name, target in targets.items():
        url = reverse("admin:support-action", args=[name, target])
        form = {"reason": "walk", "advocate": "900", "back": "/admin/"}
        for role, user in staff.items():
            client, expected = _client(user), _allowed(f"support:{name}", role)
            before = StaffAuditLog.objects.count()
            page, done = client.get(url), client.post(url, form)
            entries = list(StaffAuditLog.objects.order_by("pk")[before:])
            result = entries[-1].result if entries else None
            outcome = (page.status_code, done.status_code, result)
            if expected and not (outcome[:2] == (200, 302) and result in ("ok", "failed")):
                mismatches.append(f"support:{name} as {role}: {outcome}, expected (200, 302, 'ok' or 'failed')")
            # A read-only role's attempt is audited; a user who cannot even open the lookup is turned away first.
            refusal = (403, 403, None if role == NO_ROLE else "refused")
            if not expected and outcome != refusal:
                mismatches.append(f"support:{name} as {role}: {outcome}, expected {refusal}")
    assert not mismatches, "\n".join(mismatches)


# --- every custom admin page -----------------------------------------------------------------------------


def _admin_url_names() -> set[str]:
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif pattern.name:
                yield pattern.name

    site_pages = {"index", "login", "logout", "password_change", "password_change_done", "autocomplete",
                  "jsi18n", "view_on_site", "app_list"}
    model_pages = {f"{m._meta.app_label}_{m._meta.model_name}_{page}" for m in admin.site._registry
                   for page in ("changelist", "add", "history", "delete", "change")}
    return set(walk(admin.site.get_urls())) - site_pages - model_pages - {"support-action"}


def _page_requests(build, staff) -> dict[str, tuple[str, dict]]:
    """Each custom admin page: its URL and what posting to it does."""
    assessment = build.assessment(build.order(11))
    return {
        "page:support-lookup": (reverse("admin:support-lookup"), {}),
        "page:support-reports": (reverse("admin:support-reports"), {}),
        "page:fraud_assessment_queue": (reverse("admin:fraud_assessment_queue"), {}),
        "page:fraud_assessment_decide": (reverse("admin:fraud_assessment_decide", args=[assessment.pk]),
                                         {"decision": "approve", "note": "walk", "confirm": "yes"}),
        "page:fraud_blocklistentry_import": (reverse("admin:fraud_blocklistentry_import"), {"store": build.store.pk}),
        "page:auth_user_password_change": (
            reverse("admin:auth_user_password_change", args=[staff[roles.AUDITOR_GROUP].pk]),
            {"password1": "a-new-pass-99", "password2": "a-new-pass-99", "usable_password": "true"}),
    }


@pytest.mark.django_db
def test_every_custom_admin_page_is_listed_and_writing_ones_refuse_read_only_roles_on_get(staff, build):
    listed = {k for k in roles.WRITE_MATRIX if k.startswith("page:")} | set(roles.READ_PAGES)
    assert {f"page:{name}" for name in _admin_url_names()} == listed, (
        "a custom admin page must be listed in WRITE_MATRIX (it writes) or READ_PAGES (it only reads)")
    requests = _page_requests(build, staff)
    assert set(requests) == listed, "give the new page a request above"
    mismatches = []
    for key, (url, form) in requests.items():
        for role, user in staff.items():
            client = _client(user)
            if key in roles.READ_PAGES:
                status, readable = client.get(url).status_code, role != NO_ROLE
                if status != (200 if readable else 403):
                    mismatches.append(f"{key} as {role}: GET {status}, expected {200 if readable else 403}")
                continue
            expected = _allowed(key, role)
            page = client.get(url).status_code
            if expected and page != 200:
                mismatches.append(f"{key} as {role}: GET {page}, expected 200")
            if not expected:
                done = client.post(url, form).status_code
                if (page, done) != (403, 403):
                    mismatches.append(f"{key} as {role}: GET {page} POST {done}, expected 403 for both")
    assert not mismatches, "\n".join(mismatches)
    assessment = Assessment.objects.get(reference="11")
    assert assessment.decision == "hold", "no read-only role may have decided it"


@pytest.mark.django_db
def test_support_staff_decide_a_held_assessment_from_the_queue(build, support_user, auditor_user):
    support_client, auditor_client = _client(support_user), _client(auditor_user)
    assessment = build.assessment(build.order(12))
    url = reverse("admin:fraud_assessment_decide", args=[assessment.pk])
    assert "Approve…" not in auditor_client.get(reverse("admin:fraud_assessment_queue")).content.decode()
    assert "Approve…" in support_client.get(reverse("admin:fraud_assessment_queue")).content.decode()
    support_client.post(url, {"decision": "approve", "note": "known customer", "confirm": "yes"})
    assessment.refresh_from_db()
    assert assessment.decision == "approve"


# --- the matrix is the README's table --------------------------------------------------------------------


def test_the_readme_roles_table_is_the_matrix():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert roles.roles_table() in readme, (
        "README's Roles table differs from referrals.support.roles.WRITE_MATRIX; paste roles.roles_table():\n"
        + roles.roles_table())


def test_no_admin_action_is_declared_view_only():
    """`permissions=["view"]` lets every role run it: the bug this file is about."""
    for model_admin in admin.site._registry.values():
        for func, name, _ in model_admin._get_base_actions():
            assert "view" not in getattr(func, "allowed_permissions", ()), f"{model_admin}.{name}"


# --- safe redirects ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("back", ["//evil.example/x", "https://evil.example", "/\\evil.example",
                                  "https:evil.example", " //evil.example"])
def test_a_support_action_never_redirects_off_site(build, support_client, back):
    event = build.purchase_event(build.order(10))
    url = reverse("admin:support-action", args=["resend_event", event.pk])
    page = support_client.get(url, {"back": back}).content.decode()
    assert "evil.example" not in page
    response = support_client.post(url, {"reason": "again", "back": back})
    assert response.status_code == 302 and response["Location"] == reverse("admin:support-lookup")


@pytest.mark.django_db
def test_a_support_action_returns_to_the_lookup_page_it_came_from(build, support_client):
    event = build.purchase_event(build.order(10))
    back = f"{reverse('admin:support-lookup')}?store={build.store.pk}&order=10"
    response = support_client.post(reverse("admin:support-action", args=["resend_event", event.pk]),
                                   {"reason": "again", "back": back})
    assert response["Location"] == back


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_the_sandbox_storefront_login_never_redirects_off_site(client, support_store, next_url):
    response = client.post(f"/sandbox/storefront/{support_store.store_hash}/login", {"who": "", "next": next_url})
    assert response.status_code == 302 and not re.search(r"evil\.example", response["Location"])
