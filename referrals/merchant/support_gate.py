"""Who gets through to the store's own support pages (/app/support/…): the app session first
(storefront.session.store_user_required), then the support role the store owner granted
(referrals.support.store_access): view to read, act to post. A refusal is a 403 page with the clear
message; a refused post is written to the audit log, as the support actions write theirs.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse

from referrals.models import StaffAuditLog
from referrals.support.store_access import (
    NO_ACT_MESSAGE,
    NO_VIEW_MESSAGE,
    Role,
    store_user_support_role,
    support_audit_record,
)
from storefront.session import error_page, store_user_required

# What a refused post to a page without an action in its URL is audited as (the services' own names).
POSTED_ACTIONS = {"app-support-review-decide": "decide_assessment", "app-support-team": "support_grant"}


def refused(request: HttpRequest, *, act: bool, action: str = "", target: str = "") -> HttpResponse:
    """The 403 page for a store user without the role; a POST is audited with what was tried."""
    if request.method == "POST":
        match = request.resolver_match
        action = action or (match.kwargs.get("name") if match else "") or POSTED_ACTIONS.get(
            match.url_name if match else "", "")
        support_audit_record(store_user=request.store_user, action=action or "support_page",
                             target=target or request.path, reason=request.POST.get("reason", "") or "-",
                             result=StaffAuditLog.Result.REFUSED,
                             detail="View-only support role." if act else "No support role.")
    if act:
        return error_page(request, status=403, title="Your support role is view only", message=NO_ACT_MESSAGE)
    return error_page(request, status=403, title="You have no access to the support pages", message=NO_VIEW_MESSAGE)


def support_page(view):
    """Run the view for a store user with at least the view role (request.support_role is set); a POST
    also needs the act role. Anything else is refused (403)."""

    @store_user_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        role = store_user_support_role(store_user=request.store_user)
        if role not in (Role.VIEW, Role.ACT):
            return refused(request, act=False)
        if request.method == "POST" and role != Role.ACT:
            return refused(request, act=True)
        request.support_role = role
        return view(request, *args, **kwargs)

    return wrapped


def may_act(request: HttpRequest) -> bool:
    return getattr(request, "support_role", Role.NONE) == Role.ACT


def support_context(request: HttpRequest, *, tab: str) -> dict:
    """What every support page's header and tabs need."""
    return {"store": request.store, "store_user": request.store_user, "can_act": may_act(request),
            "support_role": Role(request.support_role).label, "tab": tab, "nav": "support"}
