"""Patient account pages (E3, E5): the panel with visits, personal data and consents,
deleting the account. Sign-up, sign-in, e-mail, password and 2FA pages are allauth's."""

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from terminarz.accounts.forms import ConsentsForm, DeleteAccountForm, ProfileForm
from terminarz.accounts.household import acting_account, household
from terminarz.accounts.models import Consent, current_consents, record_consents
from terminarz.accounts.services import erase_patient_account, patient_profile, update_profile
from terminarz.booking import feeds
from terminarz.booking import services as booking
from terminarz.booking.errors import BookingRefused, InvalidBooking, SlotTaken
from terminarz.booking.models import ACTIVE_STATUSES, Appointment
from terminarz.core import clock


def patient_view(view):
    """Pages of a signed-in patient account; others go to the sign-in page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        return view(request, *args, **kwargs)

    return wrapper


@patient_view
def panel(request):
    now = clock.now()
    visits = Appointment.objects.filter(account=acting_account(request)).select_related(
        "practitioner", "unit__location", "provider"
    )
    upcoming = visits.filter(status__in=ACTIVE_STATUSES, end__gt=now).select_related("payment").order_by("start")
    past = visits.exclude(pk__in=upcoming.values("pk")).order_by("-start")[:50]
    return render(request, "accounts/panel.html", {"upcoming": upcoming, "past": past})


def _own_visit(request, appointment_id) -> Appointment:
    visit = (
        Appointment.objects.filter(account__in=household(request.user), pk=appointment_id)
        .select_related("practitioner", "unit__location", "provider", "slot")
        .first()
    )
    if visit is None:
        raise Http404
    return visit


@require_http_methods(["GET", "POST"])
@patient_view
def reschedule(request, appointment_id: int):
    """E5: pick another free slot of the same practitioner and service."""
    visit = _own_visit(request, appointment_id)
    now = clock.now()
    error = None
    if request.method == "POST":
        try:
            booking.reschedule_by_patient(visit, request.POST.get("slot"), account=request.user, now=now)
        except BookingRefused as exc:
            error = exc.message
        except SlotTaken:
            error = gettext("Ten termin został przed chwilą zajęty. Wybierz inny.")
        except InvalidBooking as exc:
            error = " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
        else:
            messages.success(request, gettext("Zmieniliśmy termin wizyty. Potwierdzenie wysłaliśmy e-mailem."))
            return redirect("account-panel")
    options = booking.reschedule_options(visit, now=now) if visit.status in ACTIVE_STATUSES else []
    return render(
        request,
        "accounts/reschedule.html",
        {"visit": visit, "weeks": _weeks(options), "error": error},
        status=422 if error else 200,
    )


def _weeks(slots) -> list[list[tuple[dt.date, list]]]:
    """Slots as weeks of seven days (Monday first), the same grid as the search cards; weeks
    without a slot are left out."""
    by_day: dict[dt.date, list] = {}
    for slot in slots:
        by_day.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    mondays = sorted({day - dt.timedelta(days=day.weekday()) for day in by_day})
    return [
        [(monday + dt.timedelta(days=i), by_day.get(monday + dt.timedelta(days=i), [])) for i in range(7)]
        for monday in mondays
    ]


@require_http_methods(["GET", "POST"])
@patient_view
def profile(request):
    user = request.user
    data = patient_profile(user)
    action = request.POST.get("action")
    profile_form = ProfileForm(
        request.POST if action == "profile" else None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "pesel": data.pesel,
            "phone": data.phone,
            "card_number": data.card_number,
        },
    )
    consents = current_consents(user)
    consents_form = ConsentsForm(
        request.POST if action == "consents" else None,
        initial={f"consent_{kind}": granted for kind, granted in consents.items()},
    )
    if action == "profile" and profile_form.is_valid():
        c = profile_form.cleaned_data
        update_profile(
            user,
            first_name=c["first_name"],
            last_name=c["last_name"],
            pesel=c.get("pesel") or "",
            phone=c.get("phone") or "",
            card_number=c.get("card_number") or "",
        )
        messages.success(request, gettext("Zapisano Twoje dane."))
        return redirect("account-profile")
    if action == "consents" and consents_form.is_valid():
        changed = record_consents(user, consents_form.consents())
        messages.success(request, gettext("Zapisano zgody.") if changed else gettext("Zgody bez zmian."))
        return redirect("account-profile")
    history = Consent.objects.filter(user=user).order_by("-at", "-pk")[:50]
    invalid = bool(action and (profile_form.errors or consents_form.errors))
    return render(
        request,
        "accounts/profile.html",
        {"profile_form": profile_form, "consents_form": consents_form, "history": history},
        status=422 if invalid else 200,
    )


@require_http_methods(["GET", "POST"])
@patient_view
def delete_account(request):
    """RODO: the account and its personal data go (accounts.services.erase_patient_account)."""
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        erase_patient_account(user)
        logout(request)
        messages.success(request, gettext("Twoje konto zostało usunięte."))
        return redirect("portal:search")
    return render(request, "accounts/delete.html", {"form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@patient_view
def calendar_feed(request):
    """K3: the acting account's visits in the phone's calendar through a secret link (shown
    once; a new one stops the old; switched off at will)."""
    account = acting_account(request)
    link = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = feeds.create_for_account(account, by=request.user, language=translation.get_language() or "pl")
            link = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
        elif action == "revoke":
            if feeds.revoke_for_account(account):
                messages.success(request, gettext("Link wyłączony – kalendarz przestanie pobierać wizyty."))
            return redirect("account-calendar")
    response = render(
        request, "accounts/calendar_feed.html", {"feed": feeds.current_for_account(account), "link": link}
    )
    if link:
        response["Cache-Control"] = "no-store"  # the link is on this answer only
    return response
