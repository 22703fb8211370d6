"""The one decision on the staff second sign-in factor (L1), for every entry point.

The back-office (`clinic_view`), the Django admin (`TerminarzAdminSite`), the insurer's desk
(`payerdesk`) and anything added later ask `gate(request, entry=...)`; it answers with the
redirect the request must follow or None. The code and set-up pages are the back-office's
(`clinic:2fa-verify`, `clinic:2fa`); they send the person back to where they were going.
The answer comes from the database on every request, never from how the session signed in:

- a session that has given a code (django-otp `is_verified`) passes;
- a user with a confirmed factor, or a session still owing the code, is sent to give it;
- a user without a factor is sent to set one up when it is required: by any active provider
  they work for, for the Django admin by the platform (`TERMINARZ_ADMIN_REQUIRES_2FA`), and
  always at an insurer's desk (the caller names the insurer) and at the operator's desk.

Patient pages keep staff out altogether (`accounts.guard`), and the public API has no session
authentication, so neither can be a way around this."""

from enum import Enum

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_lazy

from .services import confirmed_device, required_by

PENDING_KEY = "clinic_2fa_pending"
NEXT_KEY = "clinic_2fa_next"
ADMIN = "admin"
CLINIC = "clinic"
INSURER_DESK = "insurer_desk"
OPERATOR_DESK = "operator_desk"
PLATFORM = gettext_lazy("Administracja platformy")


class Need(Enum):
    NOTHING = "nothing"
    CODE = "code"
    SETUP = "setup"


def start_after_password(request, user, next_url: str) -> bool:
    """Called after a correct password: True when a code must be asked for now."""
    if confirmed_device(user) is None:
        return False
    request.session[PENDING_KEY] = True
    request.session[NEXT_KEY] = next_url
    return True


def requirement(user, *, entry: str, also: tuple[str, ...] = ()) -> list[str]:
    """Who requires a second factor of this user at this entry point (names, for the message)."""
    names = required_by(user)
    if entry == OPERATOR_DESK or (entry == ADMIN and getattr(settings, "TERMINARZ_ADMIN_REQUIRES_2FA", True)):
        names.append(str(PLATFORM))
    names.extend(name for name in also if name not in names)
    return names


def need(request, *, entry: str, also: tuple[str, ...] = ()) -> tuple[Need, list[str]]:
    user = request.user
    if user.is_verified():
        return Need.NOTHING, []
    if request.session.get(PENDING_KEY) or confirmed_device(user) is not None:
        return Need.CODE, []
    requiring = requirement(user, entry=entry, also=also)
    if requiring:
        return Need.SETUP, requiring
    return Need.NOTHING, []


def gate(request, *, entry: str, next_url: str | None = None, also: tuple[str, ...] = ()):
    """The redirect to answer with while the factor is owed, or None. `also` names who else
    requires the factor here (an insurer at its desk)."""
    decision, requiring = need(request, entry=entry, also=also)
    if decision is Need.NOTHING:
        return None
    request.session[NEXT_KEY] = next_url or request.get_full_path()
    if decision is Need.CODE:
        request.session[PENDING_KEY] = True
        return redirect("clinic:2fa-verify")
    # One name or a list of names (no number is shown): two whole sentences, not a plural.
    warning = (
        gettext("%(names)s wymaga logowania dwuskładnikowego. Włącz drugi składnik, aby kontynuować.")
        if len(requiring) == 1
        else gettext("%(names)s wymagają logowania dwuskładnikowego. Włącz drugi składnik, aby kontynuować.")
    )
    messages.warning(request, warning % {"names": ", ".join(requiring)})
    return redirect("clinic:2fa")
