"""The store's own support team: the owner acts, other users have the role the owner granted (none by
default), grants are audited, and a store user never acts on another store's rows."""
import pytest
from django.core.exceptions import PermissionDenied

from referrals.models import StaffAuditLog, SupportGrant
from referrals.support import actions as support_actions
from referrals.support.store_access import store_user_support_role, support_grant_set
from tests.factories import StoreFactory, StoreUserFactory

pytestmark = pytest.mark.django_db


def test_owner_acts_and_other_users_have_no_access_until_granted(build):
    owner = StoreUserFactory(store=build.store, is_owner=True)
    clerk = StoreUserFactory(store=build.store)
    assert store_user_support_role(store_user=owner) == "act"
    assert store_user_support_role(store_user=clerk) == "none"
    support_grant_set(owner=owner, store_user_id=clerk.pk, role=SupportGrant.Role.VIEW)
    assert store_user_support_role(store_user=clerk) == "view"
    entry = StaffAuditLog.objects.get(action="support_grant")
    assert entry.store_id == build.store.pk and "(store user)" in entry.username and entry.result == "ok"


def test_a_non_owner_cannot_grant_and_is_audited(build):
    clerk = StoreUserFactory(store=build.store)
    other = StoreUserFactory(store=build.store)
    with pytest.raises(PermissionDenied):
        support_grant_set(owner=clerk, store_user_id=other.pk, role=SupportGrant.Role.ACT)
    assert StaffAuditLog.objects.get().result == "refused"


def test_owner_cannot_grant_a_user_of_another_store(build):
    owner = StoreUserFactory(store=build.store, is_owner=True)
    stranger = StoreUserFactory(store=StoreFactory())
    with pytest.raises(StoreUserFactory._meta.model.DoesNotExist):
        support_grant_set(owner=owner, store_user_id=stranger.pk, role=SupportGrant.Role.ACT)
    assert not SupportGrant.objects.exists()


def test_view_only_store_user_is_refused_an_action_and_audited(build):
    owner = StoreUserFactory(store=build.store, is_owner=True)
    clerk = StoreUserFactory(store=build.store)
    support_grant_set(owner=owner, store_user_id=clerk.pk, role=SupportGrant.Role.VIEW)
    event = build.purchase_event(build.order(10), state="dead")
    with pytest.raises(PermissionDenied):
        support_actions.action_resend_event(user=clerk, event_id=event.pk, reason="please")
    assert StaffAuditLog.objects.filter(action="resend_event").get().result == "refused"


def test_owner_of_another_store_is_refused_this_stores_row(build):
    stranger = StoreUserFactory(store=StoreFactory(), is_owner=True)
    event = build.purchase_event(build.order(10), state="dead")
    with pytest.raises(PermissionDenied, match="another store"):
        support_actions.action_resend_event(user=stranger, event_id=event.pk, reason="mine?")
    entry = StaffAuditLog.objects.get(action="resend_event")
    assert entry.result == "refused" and entry.store_id is None
