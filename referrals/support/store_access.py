"""The merchant's own support team: which store users may use their store's support pages, and the
owner's grants. Vendor staff are Django users with roles (referrals.support.roles) and see every store;
a store user sees only request.store, and only with a role: the owner always acts, other users have
what the owner granted (view, or view and act), no grant means no access. Grants are audited.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from referrals.models import StaffAuditLog, SupportGrant
from storefront.models import StoreUser

Role = SupportGrant.Role
NO_VIEW_MESSAGE = ("The support pages need a role the store owner grants: ask the owner to give you "
                   "view or act on the app's Support team page.")
NO_ACT_MESSAGE = ("Your support role is view only: you can look but not act. Ask the store owner to grant "
                  "you the act role.")


def store_user_label(store_user: StoreUser) -> str:
    """How a store user is named in the audit log and in decision records."""
    return f"{store_user.email or f'user {store_user.bc_user_id}'} (store user)"[:150]


def store_user_support_role(*, store_user: StoreUser | None) -> str:
    """act for the owner, the granted role for other active users, none otherwise."""
    if store_user is None or not store_user.is_active:
        return Role.NONE
    if store_user.is_owner:
        return Role.ACT
    grant = SupportGrant.objects.filter(store_user=store_user, store_id=store_user.store_id).first()
    return grant.role if grant is not None else Role.NONE


def store_user_may_view(*, store_user: StoreUser | None) -> bool:
    return store_user_support_role(store_user=store_user) in (Role.VIEW, Role.ACT)


def store_user_may_act(*, store_user: StoreUser | None) -> bool:
    return store_user_support_role(store_user=store_user) == Role.ACT


def support_audit_record(*, store_user: StoreUser, action: str, target: str, reason: str, result: str,
                         detail: str = "") -> StaffAuditLog:
    """One audit row for something a store user did (or was refused) on their store's support pages."""
    return StaffAuditLog.objects.create(
        user=None, username=store_user_label(store_user), store_id=store_user.store_id, action=action[:40],
        target=target[:200], reason=reason or "-", result=result, detail=detail[:4000],
    )


def team_for(*, store_user: StoreUser) -> list[tuple[StoreUser, str]]:
    """The store's active users with their support role, owner first."""
    users = StoreUser.objects.filter(store_id=store_user.store_id, removed_at__isnull=True).order_by(
        "-is_owner", "email", "pk")
    grants = dict(SupportGrant.objects.filter(store_id=store_user.store_id).values_list("store_user_id", "role"))
    return [(u, Role.ACT if u.is_owner else grants.get(u.pk, Role.NONE)) for u in users]


def support_grant_set(*, owner: StoreUser, store_user_id: int, role: str) -> SupportGrant:
    """The owner gives another user of the same store a support role (audited, refusals too).

    Raises PermissionDenied for a non-owner, StoreUser.DoesNotExist for a user of another store (the
    caller answers 404), ValueError for an unknown role or the owner's own row.
    """
    if not (owner.is_active and owner.is_owner):
        support_audit_record(store_user=owner, action="support_grant", target=f"store_user:{store_user_id}",
                             reason="-", result=StaffAuditLog.Result.REFUSED, detail="Only the store owner grants.")
        raise PermissionDenied("Only the store owner grants support roles.")
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    target = StoreUser.objects.get(pk=store_user_id, store_id=owner.store_id, removed_at__isnull=True)
    if target.is_owner:
        raise ValueError("The store owner always has the act role.")
    with transaction.atomic():
        grant, _ = SupportGrant.objects.update_or_create(
            store_user=target, defaults={"store_id": owner.store_id, "role": role, "granted_by": owner.email})
        support_audit_record(store_user=owner, action="support_grant", target=f"store_user:{target.pk}",
                             reason=f"{target.email or target.bc_user_id} → {Role(role).label}",
                             result=StaffAuditLog.Result.OK)
    return grant
