"""The merchant's app session (who opened the app from the control panel, for which store), its refusal page.

The session holds only ids; every request re-reads the user and store, so removing a user or
uninstalling the app ends access at once, and a session from before a re-install stays dead.
"""
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import StoreUser
from .selectors import store_user_active

SESSION_STORE_USER = "storefront_store_user_id"
SESSION_STORE = "storefront_store_id"
# The store's installed_at when the session began: a re-install starts a new generation of sessions.
SESSION_INSTALL = "storefront_installed_at"

OPEN_FROM_CONTROL_PANEL = (
    "Your session has ended or this page was opened outside BigCommerce. "
    "Open the app from the Apps menu of your BigCommerce control panel."
)


def error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """A plain error page that the control panel may frame (a blank iframe helps no merchant)."""
    response = render(request, "storefront/error.html", {"title": title, "message": message}, status=status)
    response.xframe_options_exempt = True
    return response


def _install_marker(store_user: StoreUser) -> str:
    installed_at = store_user.store.installed_at
    return installed_at.isoformat() if installed_at else ""


def session_login(request: HttpRequest, *, store_user: StoreUser) -> None:
    """Start the app session for this user (a new session key, against fixation)."""
    request.session.cycle_key()
    request.session[SESSION_STORE_USER] = store_user.pk
    request.session[SESSION_STORE] = store_user.store_id
    request.session[SESSION_INSTALL] = _install_marker(store_user)


def session_store_user(request: HttpRequest) -> StoreUser | None:
    """The active StoreUser of this session, or None if there is none or it may no longer load."""
    try:
        store_user_id = int(request.session.get(SESSION_STORE_USER))
        store_id = int(request.session.get(SESSION_STORE))
    except (TypeError, ValueError):
        return None
    store_user = store_user_active(store_user_id=store_user_id, store_id=store_id)
    if store_user is None or request.session.get(SESSION_INSTALL) != _install_marker(store_user):
        return None
    return store_user


def store_user_required(view):
    """Run the view only for an active app session; sets request.store_user and request.store, else 401."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        store_user = session_store_user(request)
        if store_user is None:
            return error_page(request, status=401, title="Please open the app from BigCommerce",
                              message=OPEN_FROM_CONTROL_PANEL)
        request.store_user = store_user
        request.store = store_user.store
        return view(request, *args, **kwargs)

    return wrapped
