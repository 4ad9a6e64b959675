"""The store's support team (/app/support/team/): every user of request.store with their support role;
the owner gives the others view or act (referrals.support.store_access.support_grant_set, audited,
which also refuses a non-owner and a user of another store)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from referrals.merchant.support_forms import SupportGrantForm
from referrals.merchant.support_gate import support_context, support_page
from referrals.support.store_access import Role, support_grant_set, team_for
from storefront.models import StoreUser
from storefront.session import error_page

TEAM = "app-support-team"
ONLY_THE_OWNER = "Only the store owner gives support roles. Ask the owner to change someone's role."


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
@support_page
def team(request: HttpRequest) -> HttpResponse:
    """GET: the team and their roles; POST (owner): store_user_id + role."""
    if request.method == "POST":
        form = SupportGrantForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Nothing was changed: choose a user and a role.")
            return redirect(TEAM)
        try:
            grant = support_grant_set(owner=request.store_user, store_user_id=form.cleaned_data["store_user_id"],
                                      role=form.cleaned_data["role"])
        except PermissionDenied:
            return error_page(request, status=403, title="Only the store owner gives support roles",
                              message=ONLY_THE_OWNER)
        except StoreUser.DoesNotExist as exc:
            raise Http404("No such user in this store.") from exc
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{grant.store_user.email or grant.store_user.bc_user_id}: "
                                      f"{Role(grant.role).label}.")
        return redirect(TEAM)
    return render(request, "referrals/support/team.html", {
        **support_context(request, tab="team"), "team": team_for(store_user=request.store_user),
        "roles": Role.choices, "is_owner": request.store_user.is_owner})
